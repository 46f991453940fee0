"""Extended PyTorch peer for bench/train.ts: the shared reference model
(../shared/reference/gradformer_ref.py, imported, not copied) trained with the
official presets, plus what bench_epoch.py does not measure.

    /usr/bin/python3 bench/peer/bench_peer.py --preset nci1|zinc|molhiv --data DIR
        [--epochs 3] [--threads 1] [--layers N] [--limit N] [--eval-limit N]

- nci1 / zinc: exactly bench_epoch.py's models, data loading and training loop
  (its loaders are imported), so the training-epoch figure is the shared peer's.
- molhiv: the official ogbg-molhiv preset (GatedGCN with the equivariant-stable PE
  gate, 10 layers, 64 ch, 4 heads, batch 32, RWSE 16 with pe_norm, OGB atom/bond
  encoders, mean pool, MLP head, BCE, AdamW 1e-4) on the raw OGB files and the
  scaffold split. As in gradformer (documented deviation), the atom encoder has
  channels - pe_dim outputs: the official AtomEncoder(channels - pe_dim - 1) cannot
  run (63 features into 64-wide layers).
- every preset: evaluation time (no-grad forward, eval mode, over the validation
  split, or its first --eval-limit graphs) and the process's peak RSS.

--limit N: nci1 uses the first N graphs (then 80% train, as bench_epoch.py);
zinc and molhiv train on the first N graphs of their training split.
Prints one JSON line. The first epoch is a warm-up (not in the median).
"""
import argparse, gzip, json, os, resource, statistics, sys, time
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
REF = os.path.normpath(os.path.join(HERE, '..', '..', '..', 'shared', 'reference'))
sys.path.insert(0, os.environ.get('GRADFORMER_REFERENCE', REF))
import gradformer_ref as G  # noqa: E402
import bench_epoch as B  # noqa: E402


def read_csv_gz(path, dtype=np.int64):
    with gzip.open(path, 'rt') as f:
        return np.loadtxt(f, delimiter=',', dtype=dtype, ndmin=2)


def load_molhiv(folder):
    raw = lambda s: os.path.join(folder, 'raw', s)
    nn_ = read_csv_gz(raw('num-node-list.csv.gz'))[:, 0]
    ne = read_csv_gz(raw('num-edge-list.csv.gz'))[:, 0]
    nf = read_csv_gz(raw('node-feat.csv.gz'))
    ef = read_csv_gz(raw('edge-feat.csv.gz'))
    ed = read_csv_gz(raw('edge.csv.gz'))
    y = read_csv_gz(raw('graph-label.csv.gz'))[:, 0]
    split = {k: read_csv_gz(os.path.join(folder, 'split', 'scaffold', f'{k}.csv.gz'))[:, 0]
             for k in ('train', 'valid', 'test')}
    graphs, no, eo = [], 0, 0
    for g in range(len(nn_)):
        n, m = int(nn_[g]), int(ne[g])
        e = ed[eo:eo + m].T
        # OGB molecules store each bond once; the PyG dataset adds the inverse edges.
        ei = torch.tensor(np.concatenate([e, e[::-1]], 1).copy(), dtype=torch.long)
        ea = torch.tensor(np.concatenate([ef[eo:eo + m], ef[eo:eo + m]], 0), dtype=torch.long)
        graphs.append(dict(num_nodes=n, edge_index=ei, x=torch.tensor(nf[no:no + n], dtype=torch.long),
                           edge_attr=ea, y=torch.tensor([float(y[g])])))
        no += n; eo += m
    return graphs, split


def add_pre(graphs, walk):
    for g in graphs:
        g['pe'] = G.random_walk_pe(g['num_nodes'], g['edge_index'], walk).float()
        g['sph'] = G.shortest_path_distances(g['num_nodes'], g['edge_index'])


def run_epochs(model, opt, train, batch, task, epochs):
    times, tot = [], 0.0
    for _ in range(epochs):
        model.train()
        idx = np.random.permutation(len(train))
        t = time.perf_counter(); tot = 0.0
        for b in range(0, len(train), batch):
            bt = G.collate([train[i] for i in idx[b:b + batch]])
            opt.zero_grad()
            out = model(bt['x'], bt['pe'], bt['edge_index'], bt['edge_attr'], bt['batch'], bt['sph'])
            y = bt['y'].view(out.shape) if task == 'binary_class' else bt['y']
            loss = G.loss_fn(task, out, y)
            loss.backward(); opt.step(); tot += float(loss) * len(bt['y'])
        times.append(time.perf_counter() - t)
    return times, tot / max(1, len(train))


def eval_time(model, graphs, batch):
    model.eval()
    t = time.perf_counter()
    with torch.no_grad():
        for b in range(0, len(graphs), batch):
            bt = G.collate(graphs[b:b + batch])
            model(bt['x'], bt['pe'], bt['edge_index'], bt['edge_attr'], bt['batch'], bt['sph'])
    return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--preset', choices=['nci1', 'zinc', 'molhiv'], required=True)
    ap.add_argument('--data', required=True)
    ap.add_argument('--epochs', type=int, default=3)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--layers', type=int, default=0, help='0: the preset\'s')
    ap.add_argument('--limit', type=int, default=0)
    ap.add_argument('--eval-limit', type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(12344); np.random.seed(12344)
    t0 = time.perf_counter()
    if a.preset == 'nci1':
        graphs, ncls = B.load_tu(a.data)
        if a.limit: graphs = graphs[:a.limit]
        for g in graphs: g['edge_attr'] = torch.zeros(g['edge_index'].shape[1], dtype=torch.long)
        add_pre(graphs, 20)
        perm = np.random.permutation(len(graphs))
        ntr, nva = int(len(graphs) * 0.8), int(len(graphs) * 0.1)
        train = [graphs[i] for i in perm[:ntr]]
        val = [graphs[i] for i in perm[ntr:ntr + nva]]
        layers, batch, task = a.layers or 4, 128, 'multi_class'
        args = G.make_args(channels=64, nhead=4, num_layers=layers, gamma=0.6, n_hop=5, slope=0.0, pe_norm=False,
                           projection='lin', node_method='add', edge_method='None', pe_origin_dim=20, pe_dim=20,
                           dropout=0.0, attn_dropout=0.5)
        model = G.Gradformer(args, graphs[0]['x'].shape[1], 1, ncls, 'GIN', 'add')
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-5)
    elif a.preset == 'zinc':
        train = B.load_zinc_subset(a.data, 'train')
        if a.limit: train = train[:a.limit]
        val = B.load_zinc_subset(a.data, 'val')
        add_pre(train, 20); add_pre(val, 20)
        layers, batch, task = a.layers or 10, 32, 'regression'
        args = G.make_args(channels=64, nhead=4, num_layers=layers, gamma=0.6, n_hop=2, slope=0.1, pe_norm=True,
                           projection='mlp', node_method='embedding', edge_method='embedding', pe_origin_dim=20,
                           pe_dim=28, dropout=0.0, attn_dropout=0.5, dataset='ZINC')
        model = G.Gradformer(args, 28, 4, 1, 'GINE', 'add')
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-5)
    else:
        graphs, split = load_molhiv(a.data)
        tr_idx = split['train'][:a.limit] if a.limit else split['train']
        train = [graphs[i] for i in tr_idx]
        val = [graphs[i] for i in split['valid']]
        add_pre(train, 16)
        layers, batch, task = a.layers or 10, 32, 'binary_class'
        args = G.make_args(channels=64, nhead=4, num_layers=layers, gamma=0.7, n_hop=5, slope=0.2, pe_norm=True,
                           projection='mlp', node_method='ogb', edge_method='ogb', pe_origin_dim=16, pe_dim=16,
                           dropout=0.05, attn_dropout=0.5, dataset='ogbg-molhiv')
        model = G.Gradformer(args, 9, 3, 1, 'GCN', 'mean')
        model.atom_enc = G.AtomEncoder(64 - 16)  # see the module docstring
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=1e-5)
    prep = time.perf_counter() - t0
    if a.eval_limit: val = val[:a.eval_limit]
    if a.preset == 'molhiv': add_pre(val, 16)
    times, loss = run_epochs(model, opt, train, batch, task, a.epochs)
    ev = eval_time(model, val, batch)
    timed = times[1:] or times
    print(json.dumps(dict(peer='pytorch-reference', preset=a.preset, torch=torch.__version__, threads=a.threads,
                          train_graphs=len(train), val_graphs=len(val), layers=layers, batch=batch,
                          preprocess_s=round(prep, 3), epoch_s=round(statistics.median(timed), 3),
                          epochs_s=[round(x, 3) for x in times], graphs_per_s=round(len(train) / statistics.median(timed), 1),
                          eval_val_s=round(ev, 3), eval_graphs_per_s=round(len(val) / ev, 1),
                          peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                          last_loss=round(loss, 4), load_avg_1min=round(os.getloadavg()[0], 2))))


if __name__ == '__main__':
    main()
