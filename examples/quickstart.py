"""zscmr quick start: load the embedded digits, build DADN's zero-shot split, fit the simplest zero-shot model
(ridge regression of each modality onto the class embeddings, fitted on seen classes only) and score unseen-class
mAP@all both ways, next to the two sanity bounds (one-hot labels = 1.0, random embeddings = chance)."""
import torch
from sklearn.linear_model import Ridge

from zscmr.data import load_digits, split_dadn, zero_shot_views
from zscmr.metrics import mean_average_precision

data = load_digits()
views = zero_shot_views(data, split_dadn(data))
train, q, g = views['train'], views['query'], views['gallery']

ridge = {m: Ridge(alpha=1.0).fit(getattr(train, f'x_{m}'), train.cls_emb[getattr(train, f'y_{m}')]) for m in ('img', 'txt')}
embed = lambda d, m: torch.as_tensor(ridge[m].predict(getattr(d, f'x_{m}')))

onehot = lambda y: torch.nn.functional.one_hot(y, data.n_classes).float()
rows = {
    'one-hot labels (upper bound)': (onehot(q.y_img), onehot(g.y_txt), onehot(q.y_txt), onehot(g.y_img)),
    'ridge onto class embeddings': (embed(q, 'img'), embed(g, 'txt'), embed(q, 'txt'), embed(g, 'img')),
    'random embeddings (chance)': tuple(torch.randn(n, 64, generator=torch.Generator().manual_seed(i))
                                        for i, n in enumerate((q.n_img, g.n_txt, q.n_txt, g.n_img))),
}
print(data)
print(f"unseen classes: {[data.class_names[c] for c in split_dadn(data).unseen]}; {q.n_img} queries, {g.n_txt} gallery items\n")
print(f"{'model':32s} {'img→txt':>8s} {'txt→img':>8s} {'average':>8s}")
for name, (qi, gt, qt, gi) in rows.items():
    i2t = mean_average_precision(qi, gt, q.y_img, g.y_txt)
    t2i = mean_average_precision(qt, gi, q.y_txt, g.y_img)
    print(f"{name:32s} {i2t:8.3f} {t2i:8.3f} {(i2t + t2i) / 2:8.3f}")
