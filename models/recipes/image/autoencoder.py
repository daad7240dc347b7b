"""A small convolutional autoencoder: 64×64×3 pixels ↔ 16×16×4 latents (a factor 12 fewer numbers).

The diffusion models work on its latents (latent diffusion, Rombach et al. 2022), so every UNet step
runs at 16×16 instead of 64×64 and the denoiser need not spend capacity on the flat colours and
anti-aliased edges the decoder reproduces. Convolutions only, no normalisation layers (cheap on a
CPU, and the decoder exports to a few plain ONNX ops); nearest-neighbour ×2 then a convolution to
upsample. Trained with L1 + MSE on random 32×32 crops of the 64×64 images (fully convolutional,
so crops cost a quarter of a full image and teach the same pixels) and a small L2 pull on the
latents so their scale stays put; `scaling_factor` = 1 / std of the training latents, as in SD.
"""
from __future__ import annotations

import dataclasses
from typing import List

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_unet import load_module, save_module


@dataclasses.dataclass
class AutoencoderConfig:
    channels: List[int] = dataclasses.field(default_factory=lambda: [32, 64, 96])  # at 64, 32, 16 px
    latent_channels: int = 4
    scaling_factor: float = 1.0

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


class Res(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv2(F.silu(self.conv1(F.silu(x))))


class Encoder(nn.Module):
    def __init__(self, c: AutoencoderConfig):
        super().__init__()
        c0, c1, c2 = c.channels
        self.net = nn.Sequential(
            nn.Conv2d(3, c0, 3, padding=1), nn.SiLU(),
            nn.Conv2d(c0, c1, 4, stride=2, padding=1), Res(c1),
            nn.Conv2d(c1, c2, 4, stride=2, padding=1), Res(c2), nn.SiLU(),
            nn.Conv2d(c2, c.latent_channels, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class Decoder(nn.Module):
    """latent_sample [B, 4, 16, 16] (unscaled) → sample [B, 3, 64, 64] in [-1, 1] (the diffusers VAE decoder's I/O)."""

    def __init__(self, c: AutoencoderConfig):
        super().__init__()
        c0, c1, c2 = c.channels
        self.conv_in = nn.Conv2d(c.latent_channels, c2, 3, padding=1)
        self.res16 = Res(c2)
        self.up32 = nn.Conv2d(c2, c1, 3, padding=1)
        self.res32 = Res(c1)
        self.up64 = nn.Conv2d(c1, c0, 3, padding=1)
        self.conv_out = nn.Conv2d(c0, 3, 3, padding=1)

    def forward(self, latent_sample: torch.Tensor) -> torch.Tensor:
        h = self.res16(self.conv_in(latent_sample))
        h = self.res32(self.up32(F.interpolate(h, scale_factor=2.0, mode="nearest")))
        h = self.up64(F.interpolate(F.silu(h), scale_factor=2.0, mode="nearest"))
        return self.conv_out(F.silu(h))


class Autoencoder(nn.Module):
    def __init__(self, c: AutoencoderConfig):
        super().__init__()
        self.c = c
        self.encoder, self.decoder = Encoder(c), Decoder(c)

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    @torch.no_grad()
    def encode_scaled(self, x: torch.Tensor, batch: int = 256) -> torch.Tensor:
        """Pixels → the diffusion models' latents (× scaling_factor: unit variance)."""
        return torch.cat([self.encoder(x[i:i + batch]) for i in range(0, len(x), batch)]) * self.c.scaling_factor

    @torch.no_grad()
    def decode_scaled(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z / self.c.scaling_factor)


def crop_batch(images: np.ndarray, idx: np.ndarray, rng: np.random.Generator, size: int) -> torch.Tensor:
    """Random size×size crops on the 4-pixel latent grid, as float32 NCHW in [-1, 1]."""
    full = images.shape[1]
    out = np.empty((len(idx), size, size, 3), np.uint8)
    for k, i in enumerate(idx):
        y, x = 4 * rng.integers(0, (full - size) // 4 + 1, 2)
        out[k] = images[i, y:y + size, x:x + size]
    return torch.from_numpy(out.astype(np.float32) / 127.5 - 1.0).permute(0, 3, 1, 2).contiguous()


def loss_fn(ae: Autoencoder, images: np.ndarray, train_idx: np.ndarray, batch: int, crop: int, latent_l2: float, device):
    def fn(rng: np.random.Generator):
        x = crop_batch(images, train_idx[rng.integers(0, len(train_idx), batch)], rng, crop).to(device)
        z = ae.encoder(x)
        y = ae.decoder(z)
        rec = F.l1_loss(y, x) + F.mse_loss(y, x)
        return rec + latent_l2 * z.pow(2).mean(), {"rec": rec.item(), "zstd": z.std().item()}
    return fn


@torch.no_grad()
def calibrate_and_measure(ae: Autoencoder, images, train_idx: np.ndarray, held_idx: np.ndarray) -> tuple:
    """Encodes every drawing once (`images(idx)` → float32 NCHW), sets scaling_factor from the training latents and
    measures the held-out reconstruction PSNR. Returns (scaled latents of every drawing, figures)."""
    n = len(train_idx) + len(held_idx)
    z = torch.cat([ae.encoder(torch.from_numpy(images(np.arange(i, min(i + 256, n))))) for i in range(0, n, 256)])
    ae.c.scaling_factor = float(1.0 / z[torch.from_numpy(train_idx)].std())
    held = torch.from_numpy(held_idx)
    rec = torch.cat([ae.decoder(z[held[i:i + 256]]) for i in range(0, len(held), 256)]).clamp(-1, 1)
    mse = float(((rec - torch.from_numpy(images(held_idx))) / 2).pow(2).mean())
    figures = {"scaling_factor": ae.c.scaling_factor, "latent_mean": float(z.mean()), "heldout_psnr_db": round(10 * np.log10(1 / mse), 2)}
    return z * ae.c.scaling_factor, figures


def save_autoencoder(ae: Autoencoder, path: str) -> None:
    save_module(ae, path)


def load_autoencoder(path: str) -> Autoencoder:
    return load_module(lambda c: Autoencoder(AutoencoderConfig(**c)), path)
