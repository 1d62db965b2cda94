#!/usr/bin/python3
"""Loads the main job's LeNet-5 weights into an equivalent PyTorch module and measures its test accuracy.

    dotnet run -c Release --project samples/FashionMnist        # writes out/lenet.safetensors
    /usr/bin/python3 tools/torch_lenet_check.py [out/lenet.safetensors]

Needs Debian's python3-torch (1.13, which has no safetensors reader: the file is parsed here by the format's
specification). The module is LeNet-5 as samples/Shared/LeNet5.cs declares it (C3 as a full nn.Conv2d: the absent
kernels of its connection table are stored as zeros), and load_state_dict(strict=True) checks every name and shape.
Measured 2026-11-28: PyTorch's accuracy with the saved weights 0.9079 = the accuracy the run stored in the metadata.
"""
import gzip
import json
import os
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_safetensors(path):
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    metadata = header.pop("__metadata__", {})
    body = data[8 + n:]
    dtypes = {"F32": torch.float32, "F64": torch.float64}
    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        tensors[name] = torch.frombuffer(bytearray(body[begin:end]), dtype=dtypes[entry["dtype"]]).reshape(entry["shape"])
    return tensors, metadata


class Subsampling(nn.Module):
    """LeNet's trainable subsampling: x = tanh(c·average + b) per map."""

    def __init__(self, maps):
        super().__init__()
        self.coefficient = nn.Parameter(torch.ones(maps))
        self.bias = nn.Parameter(torch.zeros(maps))

    def forward(self, x):
        return torch.tanh(self.coefficient.view(1, -1, 1, 1) * F.avg_pool2d(x, 2) + self.bias.view(1, -1, 1, 1))


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.C1 = nn.Conv2d(1, 6, 5, padding=2)
        self.S2 = Subsampling(6)
        self.C3 = nn.Conv2d(6, 16, 5)
        self.S4 = Subsampling(16)
        self.C5 = nn.Conv2d(16, 120, 5)
        self.F6 = nn.Linear(120, 84)
        self.output = nn.Linear(84, 10)

    def forward(self, x):
        x = self.S2(torch.tanh(self.C1(x)))
        x = self.S4(torch.tanh(self.C3(x)))
        x = torch.tanh(self.C5(x)).flatten(1)
        return self.output(torch.tanh(self.F6(x)))  # softmax is monotonic: argmax of u is argmax of x


def read_idx(path):
    data = gzip.open(path).read()
    dims = struct.unpack(">" + "I" * data[3], data[4:4 + 4 * data[3]])
    return torch.frombuffer(bytearray(data[4 + 4 * data[3]:]), dtype=torch.uint8).reshape(dims)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "out/lenet.safetensors"
    tensors, metadata = load_safetensors(path)
    model = LeNet5().to(next(iter(tensors.values())).dtype)
    print(model.load_state_dict(tensors, strict=True))
    data = os.path.join(ROOT, "data", "fashion-mnist")
    x = read_idx(os.path.join(data, "t10k-images-idx3-ubyte.gz")).to(model.C1.weight.dtype).div(255).unsqueeze(1)
    y = read_idx(os.path.join(data, "t10k-labels-idx1-ubyte.gz")).long()
    with torch.no_grad():
        accuracy = (model(x).argmax(1) == y).double().mean().item()
    print("PyTorch test accuracy with these weights: %.4f; the run stored: %s" % (accuracy, metadata.get("accuracy")))


if __name__ == "__main__":
    main()
