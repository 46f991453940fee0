"""What bench/peer/depth_check.py and depth_curve.py share: the PyTorch reference of the
official model (../shared/reference, on one thread) and NCI1 read and featurised as
bench_epoch.py does (one-hot node labels, RWSE 20 in float64 then float32, shortest paths).
"""
import os, sys
os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')
os.environ.setdefault('OMP_NUM_THREADS', '1')
import torch  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'shared', 'reference'))
import gradformer_ref as G  # noqa: E402,F401
from bench_epoch import load_tu  # noqa: E402
from safetensors_io import save_file  # noqa: E402,F401

torch.set_num_threads(1)


def load_nci1(folder, limit=0):
    """NCI1's graphs (the first `limit` when > 0) with pe, sph and zero edge_attr, and the class count."""
    graphs, ncls = load_tu(folder)
    if limit:
        graphs = graphs[:limit]
    for g in graphs:
        g['pe'] = G.random_walk_pe(g['num_nodes'], g['edge_index'], 20).float()
        g['sph'] = G.shortest_path_distances(g['num_nodes'], g['edge_index'])
        g['edge_attr'] = torch.zeros(g['edge_index'].shape[1], dtype=torch.long)
    return graphs, ncls


def nci1_model(graphs, ncls, layers, attn_dropout):
    """The official NCI1 model (run_nci1.sh: GIN, 64 ch, 4 heads, gamma 0.6, n_hop 5) at `layers`."""
    args = G.make_args(channels=64, nhead=4, num_layers=layers, gamma=0.6, n_hop=5, slope=0.0, pe_norm=False,
                       projection='lin', node_method='add', edge_method='None', pe_origin_dim=20, pe_dim=20,
                       dropout=0.0, attn_dropout=attn_dropout)
    return args, G.Gradformer(args, graphs[0]['x'].shape[1], 1, ncls, 'GIN', 'add')
