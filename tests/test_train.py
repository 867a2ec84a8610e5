"Training-loop behaviour that the model tests do not isolate."
import torch

from zscmr.train import TrainLoop


def test_amp_epoch_sees_in_place_weight_updates():
    "Regression: autocast's cast cache served the first step's weights for a whole epoch (one autocast region)."
    lin, x, seen = torch.nn.Linear(4, 2), torch.randn(3, 4), []
    def epoch(ep):
        for _ in range(2):
            seen.append(lin(x).detach().float().clone())
            with torch.no_grad(): lin.weight.add_(1.0)              # an optimiser step, in place
        return dict(loss=0.0)
    TrainLoop(0, 'cpu', amp=True, progress=False).run(epoch, 1, dict(lin=lin))
    assert seen[0].dtype == torch.float32 and not torch.allclose(seen[0], seen[1])


def test_amp_training_follows_float32_training():
    "A short regression fit under bfloat16 autocast ends near the float32 fit (same seed, same batches)."
    def fit(amp):
        torch.manual_seed(0)
        lin, x = torch.nn.Linear(8, 1), torch.randn(256, 8)
        y = x @ torch.arange(1., 9.).unsqueeze(1)
        opt = torch.optim.SGD(lin.parameters(), lr=0.05)
        def epoch(ep):
            for i in range(0, 256, 32):
                loss = ((lin(x[i:i + 32]).float() - y[i:i + 32]) ** 2).mean()
                opt.zero_grad(); loss.backward(); opt.step()
            return dict(loss=float(loss.detach()))
        return TrainLoop(0, 'cpu', amp=amp, progress=False).run(epoch, 20, dict(lin=lin))['history'][-1]['loss']
    f32, bf16 = fit(False), fit(True)
    assert f32 < 1e-5 and bf16 < 1e-2, (f32, bf16)       # bfloat16 keeps 8 bits of mantissa; y has variance about 204
