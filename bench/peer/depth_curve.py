"""The PyTorch reference of the official model (../shared/reference/gradformer_ref.py) trained
on NCI1 at a given depth with the official NCI1 settings (GIN, 64 ch, 4 heads, gamma 0.6,
n_hop 5, Adam 1e-3 / wd 1e-5, batch 128, attention dropout 0.5), printing one JSON line per
epoch: mean training loss and validation accuracy. Issue 18 asks whether Gradformer keeps its
accuracy at 24 layers; in our runs the training loss climbs back to ln 2 (chance) after a
few epochs at 24 layers, and this shows whether the official semantics do the same.
    /usr/bin/python3 bench/peer/depth_curve.py --data ../shared/datasets/NCI1 --layers 24 --epochs 30 --seed 0
The split is a seeded numpy permutation (80 % train, 10 % val), not the official one, and the
initialisation is PyTorch's: compare the shape of the curve, not the numbers.
"""
import argparse, json, time
from nci1_ref import G, load_nci1, nci1_model
import numpy as np
import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', required=True)
    ap.add_argument('--layers', type=int, default=24)
    ap.add_argument('--epochs', type=int, default=30)
    ap.add_argument('--seed', type=int, default=0)
    a = ap.parse_args()
    torch.manual_seed(a.seed); np.random.seed(a.seed)
    graphs, ncls = load_nci1(a.data)
    perm = np.random.permutation(len(graphs))
    ntr, nva = int(len(graphs) * 0.8), int(len(graphs) * 0.1)
    train = [graphs[i] for i in perm[:ntr]]
    val = [graphs[i] for i in perm[ntr:ntr + nva]]
    _, model = nci1_model(graphs, ncls, a.layers, attn_dropout=0.5)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-5)
    for ep in range(1, a.epochs + 1):
        model.train()
        idx = np.random.permutation(len(train))
        t = time.perf_counter(); tot = 0.0
        for b in range(0, len(train), 128):
            bt = G.collate([train[i] for i in idx[b:b + 128]])
            opt.zero_grad()
            out = model(bt['x'], bt['pe'], bt['edge_index'], bt['edge_attr'], bt['batch'], bt['sph'])
            loss = G.loss_fn('multi_class', out, bt['y'])
            loss.backward(); opt.step(); tot += float(loss) * len(bt['y'])
        model.eval(); correct = 0
        with torch.no_grad():
            for b in range(0, len(val), 128):
                bt = G.collate(val[b:b + 128])
                out = model(bt['x'], bt['pe'], bt['edge_index'], bt['edge_attr'], bt['batch'], bt['sph'])
                correct += int((out.argmax(-1) == bt['y']).sum())
        print(json.dumps(dict(epoch=ep, layers=a.layers, seed=a.seed, train_loss=round(tot / len(train), 4),
                              val=round(correct / len(val), 4), seconds=round(time.perf_counter() - t, 1))), flush=True)


if __name__ == '__main__':
    main()
