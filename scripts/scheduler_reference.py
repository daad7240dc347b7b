#!/usr/bin/env python3
"""Reference values for the engine's diffusion schedulers, computed in float64 numpy straight from
the published formulas (not from diffusers, so the TypeScript port is checked against the papers):

  DDIM                 Song et al. 2021, eq. (12), with sigma_t(eta) from eq. (16)
  Euler ancestral      Karras et al. 2022 Algorithm 1 as in k-diffusion's sample_euler_ancestral
                       (get_ancestral_step: sigma_up, sigma_down)
  DPM-Solver++ (2M)    Lu et al. 2022, "DPM-Solver++", Algorithm 2 (multistep second order, data prediction)
  LCM                  Luo et al. 2023, "Latent Consistency Models", eq. (9)-(11) and Algorithm 3
                       (multistep consistency sampling with the boundary-condition scalings c_skip, c_out)

The timestep grids and defaults follow diffusers' schedulers (timestep_spacing, steps_offset,
set_alpha_to_one, final sigma 0, lower-order final step), since model folders carry diffusers configs.

A fixed fake model eps(x, t) = 0.1 x + 0.05 t / 1000 runs a full denoising loop for each case from a
start drawn by the portable noise generator (mulberry32 + Box-Muller, the same as
native/engine/image/noise.ts), which also supplies the ancestral noise.

Usage: /usr/bin/python3 scripts/scheduler_reference.py [--out native/engine/image/schedulers/reference-values.json]
"""
import argparse
import json
import math
import os

import numpy as np

SIZE = 16
SEED = 42


# ----------------------------------------------------------------------------- portable noise

class Mulberry32:
    def __init__(self, seed):
        self.state = seed & 0xFFFFFFFF

    @staticmethod
    def imul(a, b):
        return (a * b) & 0xFFFFFFFF

    def uniform(self):
        self.state = (self.state + 0x6D2B79F5) & 0xFFFFFFFF
        t = self.state
        t = self.imul(t ^ (t >> 15), t | 1)
        t ^= (t + self.imul(t ^ (t >> 7), t | 61)) & 0xFFFFFFFF
        return ((t ^ (t >> 14)) & 0xFFFFFFFF) / 4294967296.0

    def normal(self):
        # Box-Muller, cosine branch: two uniforms per value; 1 - u keeps the logarithm finite.
        u1 = 1.0 - self.uniform()
        u2 = self.uniform()
        return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)

    def randn(self, n):
        return np.array([np.float32(self.normal()) for _ in range(n)], dtype=np.float64)


# ----------------------------------------------------------------------------- common

def betas_for(config):
    n = config["num_train_timesteps"]
    schedule = config["beta_schedule"]
    if schedule == "linear":
        return np.linspace(config["beta_start"], config["beta_end"], n)
    if schedule == "scaled_linear":
        return np.linspace(config["beta_start"] ** 0.5, config["beta_end"] ** 0.5, n) ** 2
    if schedule == "squaredcos_cap_v2":
        # Nichol & Dhariwal 2021, eq. (17): alpha_bar(t) = cos^2(((t/T) + s) / (1 + s) * pi/2), beta capped at 0.999
        def alpha_bar(t):
            return math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2
        return np.array([min(1 - alpha_bar((i + 1) / n) / alpha_bar(i / n), 0.999) for i in range(n)])
    raise ValueError(schedule)


def alphas_cumprod(config):
    return np.cumprod(1.0 - betas_for(config))


def fake_model(x, t):
    return 0.1 * x + 0.05 * float(t) / 1000.0


def to_x0_eps(prediction_type, out, x, a):
    b = 1 - a
    if prediction_type == "epsilon":
        return (x - math.sqrt(b) * out) / math.sqrt(a), out
    if prediction_type == "sample":
        return out, (x - math.sqrt(a) * out) / math.sqrt(b)
    if prediction_type == "v_prediction":
        return math.sqrt(a) * x - math.sqrt(b) * out, math.sqrt(a) * out + math.sqrt(b) * x
    raise ValueError(prediction_type)


# ----------------------------------------------------------------------------- DDIM

DDIM_DEFAULTS = dict(num_train_timesteps=1000, beta_start=0.0001, beta_end=0.02, beta_schedule="linear",
                     clip_sample=True, clip_sample_range=1.0, set_alpha_to_one=True, steps_offset=0,
                     prediction_type="epsilon", timestep_spacing="leading")


def ddim_timesteps(c, n):
    N = c["num_train_timesteps"]
    if c["timestep_spacing"] == "leading":
        ratio = N // n
        return list((np.arange(0, n) * ratio).round()[::-1].astype(np.int64) + c["steps_offset"])
    if c["timestep_spacing"] == "trailing":
        return list(np.round(np.arange(N, 0, -N / n)).astype(np.int64) - 1)
    return list(np.linspace(0, N - 1, n).round()[::-1].astype(np.int64))


def ddim_run(c, n, eta=0.0):
    ac = alphas_cumprod(c)
    final = 1.0 if c["set_alpha_to_one"] else ac[0]
    ts = ddim_timesteps(c, n)
    gen = Mulberry32(SEED)
    x = gen.randn(SIZE)  # init_noise_sigma = 1
    first = None
    for t in ts:
        eps_out = fake_model(x, t)
        prev_t = t - c["num_train_timesteps"] // n
        a = ac[t]
        a_prev = ac[prev_t] if prev_t >= 0 else final
        x0, eps = to_x0_eps(c["prediction_type"], eps_out, x, a)
        if c["clip_sample"]:
            x0 = np.clip(x0, -c["clip_sample_range"], c["clip_sample_range"])
        # eq. (16): sigma_t(eta)^2 = (1 - a_prev)/(1 - a) * (1 - a/a_prev)
        var = (1 - a_prev) / (1 - a) * (1 - a / a_prev)
        std = eta * math.sqrt(var)
        # eq. (12): x_{t-1} = sqrt(a_prev) x0 + sqrt(1 - a_prev - sigma^2) eps + sigma z
        x_new = math.sqrt(a_prev) * x0 + math.sqrt(1 - a_prev - std ** 2) * eps
        if eta > 0:
            x_new = x_new + std * gen.randn(SIZE)
        if first is None:
            first = x0
        x = x_new
    return dict(timesteps=[int(t) for t in ts], initNoiseSigma=1.0, firstPredOriginal=list(first), final=list(x))


# ----------------------------------------------------------------------------- Euler ancestral

EULER_DEFAULTS = dict(num_train_timesteps=1000, beta_start=0.0001, beta_end=0.02, beta_schedule="linear",
                      prediction_type="epsilon", timestep_spacing="linspace", steps_offset=0)


def euler_timesteps(c, n):
    N = c["num_train_timesteps"]
    if c["timestep_spacing"] == "linspace":
        return np.linspace(0, N - 1, n)[::-1].astype(np.float64)
    if c["timestep_spacing"] == "leading":
        ratio = N // n
        return (np.arange(0, n) * ratio).round()[::-1].astype(np.float64) + c["steps_offset"]
    return (np.arange(N, 0, -N / n)).round().astype(np.float64) - 1


def euler_run(c, n):
    ac = alphas_cumprod(c)
    all_sigmas = np.sqrt((1 - ac) / ac)
    ts = euler_timesteps(c, n)
    sigmas = np.concatenate([np.interp(ts, np.arange(len(all_sigmas)), all_sigmas), [0.0]])
    init = float(sigmas.max()) if c["timestep_spacing"] in ("linspace", "trailing") else math.sqrt(sigmas.max() ** 2 + 1)
    gen = Mulberry32(SEED)
    x = gen.randn(SIZE) * init
    first = None
    for i, t in enumerate(ts):
        sigma = sigmas[i]
        model_in = x / math.sqrt(sigma ** 2 + 1)  # scale_model_input: the VP model sees x / sqrt(sigma^2 + 1)
        out = fake_model(model_in, t)
        if c["prediction_type"] == "epsilon":
            x0 = x - sigma * out
        elif c["prediction_type"] == "v_prediction":
            x0 = out * (-sigma / math.sqrt(sigma ** 2 + 1)) + x / (sigma ** 2 + 1)
        else:
            x0 = out
        sigma_to = sigmas[i + 1]
        # k-diffusion get_ancestral_step (eta = 1)
        sigma_up = math.sqrt(sigma_to ** 2 * (sigma ** 2 - sigma_to ** 2) / sigma ** 2)
        sigma_down = math.sqrt(sigma_to ** 2 - sigma_up ** 2)
        d = (x - x0) / sigma  # Karras eq. (5) / Algorithm 1 line 5: d = (x - D(x)) / sigma
        x = x + d * (sigma_down - sigma)
        x = x + gen.randn(SIZE) * sigma_up
        if first is None:
            first = x0
    return dict(timesteps=[float(t) for t in ts], initNoiseSigma=init, firstPredOriginal=list(first), final=list(x))


# ----------------------------------------------------------------------------- DPM-Solver++ (2M)

DPM_DEFAULTS = dict(num_train_timesteps=1000, beta_start=0.0001, beta_end=0.02, beta_schedule="linear",
                    prediction_type="epsilon", timestep_spacing="linspace", steps_offset=0)


def dpm_timesteps(c, n):
    N = c["num_train_timesteps"]
    if c["timestep_spacing"] == "linspace":
        return list(np.linspace(0, N - 1, n + 1).round()[::-1][:-1].astype(np.int64))
    if c["timestep_spacing"] == "leading":
        ratio = N // (n + 1)
        return list((np.arange(0, n + 1) * ratio).round()[::-1][:-1].astype(np.int64) + c["steps_offset"])
    return list(np.arange(N, 0, -N / n).round().astype(np.int64) - 1)


def dpm_run(c, n):
    ac = alphas_cumprod(c)
    all_sigmas = np.sqrt((1 - ac) / ac)
    ts = dpm_timesteps(c, n)
    sigmas = list(np.interp(np.array(ts, dtype=np.float64), np.arange(len(all_sigmas)), all_sigmas)) + [0.0]

    def alpha_sigma(s):
        a = 1 / math.sqrt(s ** 2 + 1)
        return a, s * a

    def lam(s):
        a, sg = alpha_sigma(s)
        return math.log(a) - (math.log(sg) if sg > 0 else -math.inf)

    gen = Mulberry32(SEED)
    x = gen.randn(SIZE)
    first = None
    outputs = []
    for i, t in enumerate(ts):
        out = fake_model(x, t)
        a_s, s_s = alpha_sigma(sigmas[i])
        if c["prediction_type"] == "epsilon":
            x0 = (x - s_s * out) / a_s
        elif c["prediction_type"] == "v_prediction":
            x0 = a_s * x - s_s * out
        else:
            x0 = out
        outputs.append(x0)
        a_t, s_t = alpha_sigma(sigmas[i + 1])
        h = lam(sigmas[i + 1]) - lam(sigmas[i])
        em1 = math.exp(-h) - 1
        last = i == len(ts) - 1
        if i == 0 or last:
            # Algorithm 2 first step (and the final step to sigma = 0): DPM-Solver++(1), i.e. DDIM in data prediction
            x = (s_t / s_s) * x - a_t * em1 * x0
        else:
            # Algorithm 2: r = h_{i-1} / h_i, D = (1 + 1/(2r)) x0_i - 1/(2r) x0_{i-1}
            h0 = lam(sigmas[i]) - lam(sigmas[i - 1])
            r0 = h0 / h
            d0 = outputs[-1]
            d1 = (outputs[-1] - outputs[-2]) / r0
            x = (s_t / s_s) * x - a_t * em1 * d0 - 0.5 * a_t * em1 * d1
        if first is None:
            first = x0
    return dict(timesteps=[int(t) for t in ts], initNoiseSigma=1.0, firstPredOriginal=list(first), final=list(x))


# ----------------------------------------------------------------------------- LCM

LCM_DEFAULTS = dict(num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                    original_inference_steps=50, clip_sample=False, clip_sample_range=1.0, set_alpha_to_one=True,
                    steps_offset=0, prediction_type="epsilon", timestep_spacing="leading", timestep_scaling=10.0)


def lcm_timesteps(c, n):
    k = c["num_train_timesteps"] // c["original_inference_steps"]
    origin = (np.arange(1, c["original_inference_steps"] + 1) * k - 1)[::-1]
    idx = np.floor(np.linspace(0, len(origin), num=n, endpoint=False)).astype(np.int64)
    return [int(t) for t in origin[idx]]


def lcm_run(c, n):
    ac = alphas_cumprod(c)
    final = 1.0 if c["set_alpha_to_one"] else ac[0]
    ts = lcm_timesteps(c, n)
    gen = Mulberry32(SEED)
    x = gen.randn(SIZE)
    first = None
    for i, t in enumerate(ts):
        out = fake_model(x, t)
        prev_t = ts[i + 1] if i + 1 < len(ts) else t
        a = ac[t]
        a_prev = ac[prev_t] if prev_t >= 0 else final
        # LCM eq. (9)/(10): c_skip(t) = sd^2 / (t'^2 + sd^2), c_out(t) = t' / sqrt(t'^2 + sd^2), t' = t * scaling
        scaled = t * c["timestep_scaling"]
        c_skip = 0.25 / (scaled ** 2 + 0.25)
        c_out = scaled / math.sqrt(scaled ** 2 + 0.25)
        x0, _ = to_x0_eps(c["prediction_type"], out, x, a)
        if c["clip_sample"]:
            x0 = np.clip(x0, -c["clip_sample_range"], c["clip_sample_range"])
        denoised = c_out * x0 + c_skip * x  # eq. (11): f(x, t) = c_skip x + c_out F(x, t)
        if i != len(ts) - 1:
            # Algorithm 3: x_{tau_{n-1}} = sqrt(a_prev) x0 + sqrt(1 - a_prev) z
            x = math.sqrt(a_prev) * denoised + math.sqrt(1 - a_prev) * gen.randn(SIZE)
        else:
            x = denoised
        if first is None:
            first = denoised
    return dict(timesteps=ts, initNoiseSigma=1.0, firstPredOriginal=list(first), final=list(x))


# ----------------------------------------------------------------------------- cases

SD = dict(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear")

CASES = [
    ("ddim", {}, [1, 4, 10, 25]),
    ("ddim", dict(SD, set_alpha_to_one=False, steps_offset=1, clip_sample=False), [4, 10]),
    ("ddim", dict(timestep_spacing="trailing", prediction_type="v_prediction", clip_sample=False), [4, 10]),
    ("ddim", dict(timestep_spacing="linspace", beta_schedule="squaredcos_cap_v2", prediction_type="sample"), [10]),
    ("euler-a", {}, [1, 4, 10, 25]),
    ("euler-a", dict(SD, timestep_spacing="leading", steps_offset=1), [4, 10]),
    ("euler-a", dict(timestep_spacing="trailing", prediction_type="v_prediction"), [10]),
    ("dpm++2m", {}, [1, 4, 10, 25]),
    ("dpm++2m", dict(SD, timestep_spacing="leading", steps_offset=1), [4, 10]),
    ("dpm++2m", dict(timestep_spacing="trailing", prediction_type="v_prediction", beta_schedule="squaredcos_cap_v2"), [10]),
    ("lcm", {}, [1, 2, 4, 8]),
    ("lcm", dict(beta_schedule="linear", beta_start=0.0001, beta_end=0.02, prediction_type="v_prediction",
                 set_alpha_to_one=False), [4]),
]

RUNNERS = {"ddim": (DDIM_DEFAULTS, ddim_run), "euler-a": (EULER_DEFAULTS, euler_run),
           "dpm++2m": (DPM_DEFAULTS, dpm_run), "lcm": (LCM_DEFAULTS, lcm_run)}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=os.path.join(here, "..", "native", "engine", "image", "schedulers", "reference-values.json"))
    args = parser.parse_args()
    cases = []
    for name, overrides, step_counts in CASES:
        defaults, run = RUNNERS[name]
        config = dict(defaults, **overrides)
        for steps in step_counts:
            cases.append(dict(scheduler=name, config=overrides, steps=steps, **run(config, steps)))
    gen = Mulberry32(SEED)
    noise = dict(seed=SEED, first=[float(np.float32(gen.normal())) for _ in range(8)])
    result = dict(generatedBy="scripts/scheduler_reference.py", size=SIZE, seed=SEED,
                  fakeModel="eps = 0.1 * sample + 0.05 * t / 1000", noise=noise, cases=cases)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print(f"wrote {len(cases)} cases to {os.path.relpath(args.out)}")


if __name__ == "__main__":
    main()
