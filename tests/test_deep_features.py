"""The deep-feature file loader: `.mat` v5, `.h5` and MATLAB v7.3 (HDF5, column-major), label conventions, `valid_*`,
and errors that name the key and the file."""
import h5py, numpy as np, pytest
from scipy.io import savemat

from zscmr.data import DataError, load_deep_features

G = np.random.default_rng(0)
PARTS = {s: (G.normal(size=(n, 5)), G.normal(size=(n, 3)), np.arange(n) % 3) for s, n in (('train', 6), ('test', 3))}


def arrays(parts=PARTS, labels=lambda y: (y + 1)[:, None]):
    out = {}
    for s, (xi, xt, y) in parts.items():
        out |= {f'{s}_imgs_deep': xi, f'{s}_texts_doc': xt, f'{s}_imgs_labels': labels(y), f'{s}_texts_labels': labels(y)}
    return out


def write_h5(path, arrs, matlab73=False):
    "A plain HDF5 file, or one laid out as MATLAB -v7.3 writes it: a 512-byte header block and column-major arrays."
    with h5py.File(path, 'w', userblock_size=512 if matlab73 else 0) as h:
        for k, v in arrs.items(): h[k] = v.T if matlab73 else v
    if matlab73:
        head = b'MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Dec  7 12:00:00 2026 HDF5 schema 1.00 .'
        with open(path, 'r+b') as f: f.write(head.ljust(116) + b'\0' * 8 + b'\x00\x02' + b'IM')
    return path


def test_mat_v5_one_based_labels(tmp_path):
    savemat(tmp_path / 'f.mat', arrays())
    d = load_deep_features(tmp_path / 'f.mat', np.eye(3), label_base=1)
    assert d.y_img.tolist() == [0, 1, 2, 0, 1, 2, 0, 1, 2] and d.train_img.tolist() == [True] * 6 + [False] * 3
    assert np.allclose(d.x_txt.numpy(), np.concatenate([PARTS['train'][1], PARTS['test'][1]]))
    assert d.txt2img.tolist() == list(range(9)) and d.meta['rows'] == {'train': [0, 6], 'test': [6, 9]} and d.meta['valid'] is None


def test_h5_one_hot_and_matlab_v73_transposed(tmp_path):
    one_hot = lambda y: np.eye(3)[y]
    plain = load_deep_features(write_h5(tmp_path / 'f.h5', arrays(labels=one_hot)), np.eye(3))
    v73 = load_deep_features(write_h5(tmp_path / 'g.mat', arrays(labels=one_hot), matlab73=True), np.eye(3))
    for d in (plain, v73):
        assert d.y_txt.tolist() == [0, 1, 2] * 3 and np.allclose(d.x_img.numpy(), np.concatenate([PARTS['train'][0], PARTS['test'][0]]))


def test_multi_hot_labels_make_a_multilabel_dataset(tmp_path):
    multi = lambda y: np.eye(3)[y] + np.eye(3)[(y + 1) % 3]
    d = load_deep_features(write_h5(tmp_path / 'f.h5', arrays(labels=multi)), np.eye(3))
    assert d.multilabel and d.y_img.sum(1).tolist() == [2] * 9


@pytest.mark.parametrize('valid, n_train', [('train', 8), ('test', 6)])
def test_valid_split_joins_train_or_test_and_is_recorded(tmp_path, valid, n_train):
    parts = PARTS | {'valid': (G.normal(size=(2, 5)), G.normal(size=(2, 3)), np.array([0, 2]))}
    savemat(tmp_path / 'f.mat', arrays(parts))
    d = load_deep_features(tmp_path / 'f.mat', np.eye(3), label_base=1, valid=valid)
    assert d.meta['rows'] == {'train': [0, 6], 'valid': [6, 8], 'test': [8, 11]} and d.meta['valid'] == valid
    assert int(d.train_img.sum()) == n_train and d.y_img[6:8].tolist() == [0, 2]


def test_integer_labels_need_an_explicit_base(tmp_path):
    savemat(tmp_path / 'f.mat', arrays())
    with pytest.raises(DataError, match=r"f\.mat: train_imgs_labels: integer labels; pass label_base"):
        load_deep_features(tmp_path / 'f.mat', np.eye(3))


@pytest.mark.parametrize('change, message', [
    (lambda a: a.pop('test_texts_doc'), r"missing \['test_texts_doc'\]"),
    (lambda a: a['train_imgs_deep'].__setitem__((2, 1), np.nan), r"f\.h5: train_imgs_deep: 1 non-finite values"),
    (lambda a: a.__setitem__('test_imgs_deep', np.ones((3, 4))), r"img features differ in width across splits \{'train': 5, 'test': 4\}"),
    (lambda a: a.__setitem__('train_texts_doc', np.ones((5, 3))), r"train_imgs_deep has 6 rows but train_texts_doc 5"),
    (lambda a: a.__setitem__('train_imgs_deep', np.ones(6)), r"train_imgs_deep: expected a 2-D"),
    (lambda a: a.__setitem__('test_texts_labels', np.ones((3, 2, 2))), r"test_texts_labels: expected 3 labels"),
    (lambda a: a.__setitem__('test_imgs_labels', np.array([[1, 0, 0], [0, 0, 0], [0, 1, 0]])), r"test_imgs_labels: row 1 of the label matrix has no 1"),
    (lambda a: a.__setitem__('test_imgs_labels', np.array([1.5, 2, 3])), r"test_imgs_labels: labels must be finite whole numbers"),
])
def test_bad_files_are_refused_naming_file_and_key(tmp_path, change, message):
    a = {k: v.copy() for k, v in arrays().items()}
    change(a)
    with pytest.raises(DataError, match=message):
        load_deep_features(write_h5(tmp_path / 'f.h5', a), np.eye(3), label_base=1)


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(FileNotFoundError, match='no such file'): load_deep_features(tmp_path / 'none.mat', np.eye(3))
    (tmp_path / 'bad.h5').write_bytes(b'not hdf5')
    with pytest.raises(DataError, match=r'bad\.h5: not a readable HDF5 file'): load_deep_features(tmp_path / 'bad.h5', np.eye(3))
    with pytest.raises(DataError, match="valid: expected 'train' or 'test'"): load_deep_features(tmp_path / 'bad.h5', np.eye(3), valid='drop')
