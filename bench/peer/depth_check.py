"""One training step of the PyTorch reference of the official model at a given depth, for
bench/peer/depth_check.ts to compare ours with: the official NCI1 model (GIN, 64 ch, 4
heads, gamma 0.6, n_hop 5, RWSE 20) with attention dropout off (so that no random mask
differs), on NCI1's first 128 graphs, train mode. Writes its weights (state-dict names,
which our model loads), its output, loss and every parameter's gradient.
    /usr/bin/python3 bench/peer/depth_check.py --data ../shared/datasets/NCI1 --layers 24 --out /tmp/depth24.safetensors
"""
import argparse
from nci1_ref import G, load_nci1, nci1_model, save_file
import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', required=True)
    ap.add_argument('--layers', type=int, default=24)
    ap.add_argument('--graphs', type=int, default=128)
    ap.add_argument('--out', required=True)
    a = ap.parse_args()
    torch.manual_seed(0)
    graphs, ncls = load_nci1(a.data, a.graphs)
    args, model = nci1_model(graphs, ncls, a.layers, attn_dropout=0.0)
    model.train()
    state = {k: v.clone() for k, v in model.state_dict().items()}
    bt = G.collate(graphs)
    out = model(bt['x'], bt['pe'], bt['edge_index'], bt['edge_attr'], bt['batch'], bt['sph'])
    loss = G.loss_fn('multi_class', out, bt['y'])
    loss.backward()
    t = {f'param.{k}': v for k, v in state.items()}
    t['out'] = out.detach()
    t['loss'] = loss.detach().reshape(1)
    for k, p in model.named_parameters():
        if p.grad is not None:
            t[f'grad.{k}'] = p.grad
    # The same step in float64: how far float32 itself is from exact arithmetic after this many
    # layers (the scale of rounding noise our float32 differences should be compared with).
    m64 = G.Gradformer(args, graphs[0]['x'].shape[1], 1, ncls, 'GIN', 'add').double()
    m64.load_state_dict({k: v.double() if v.is_floating_point() else v for k, v in state.items()})
    m64.train()
    o64 = m64(bt['x'].double(), bt['pe'].double(), bt['edge_index'], bt['edge_attr'], bt['batch'], bt['sph'])
    l64 = G.loss_fn('multi_class', o64, bt['y'])
    l64.backward()
    t['out64'] = o64.detach()
    for k, p in m64.named_parameters():
        if p.grad is not None:
            t[f'grad64.{k}'] = p.grad
    save_file(t, a.out, {'layers': str(a.layers), 'graphs': str(a.graphs)})
    print(f'wrote {a.out}: loss {float(loss):.6f}, {sum(1 for k in t if k.startswith("grad."))} gradients')


if __name__ == '__main__':
    main()
