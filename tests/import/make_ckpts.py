#!/usr/bin/python3
"""Write fairseq-format Lite Transformer checkpoints for the ltcc-import tests.

usage: make_ckpts.py GENDIR CKPTDIR

GENDIR holds tools/gen_models.py's wmt, iwslt, lm and alm (NAME.json and
NAME.safetensors).  This script adds models of its own to GENDIR, in the
same form, so tools/reference.py can write their goldens:

  tiny    pre-norm (the t2t architecture's default), final norms, GELU, a
          plain-attention encoder, a decoder with three branches (lightweight
          with its own kernel, dynamic without GLU, attn), no weight softmax,
          separate embeddings with a tied output
  tiny16  tiny's weights rounded to float16 (its checkpoint is stored in fp16)
  plmf    gen_models' plm as lite-transformer's args can say it: the same
          learned positions, input_dim 32 / dim 48 / output_dim 40 and untied
          adaptive softmax, but the same branches in every layer (the args
          give one branch list per stack; plm's first layer is plain)
  xencf   gen_models' xenc likewise: the same branch list in both encoder
          layers (dynamic + attn, kernels 4 and 2 from the kernel list), and
          learned positions in the decoder too: fairseq's
          no_token_positional_embeddings switches off both stacks' positions
          at once, so "learned encoder, no decoder positions" cannot be
          written in args
  xencn   xencf's weights without position tables: no positions anywhere
          (no_token_positional_embeddings)

and writes to CKPTDIR, as torch.save of {'args': Namespace, 'model':
OrderedDict, ...} exactly as lite-transformer's fairseq saves them:

  wmt.pt iwslt.pt lm.pt tiny.pt tiny16.pt   the models above
  alm.pt                                    alm as arch ..._wiki103_small scaled
                                            down through args, with the tied
                                            tensors saved twice as fairseq does
  alm-defaults.pt                           the same, leaving the adaptive and
                                            tie flags to the architecture
  plm.pt xenc.pt xenc-nopos.pt              plmf, xencf, xencn
  plm-long.pt                               plm whose args claim more positions
                                            than its learned table holds
  wmt-old.pt tiny-old.pt                    packed in_proj_weight/in_proj_bias
                                            and layer_norms.N names
  tiny-v2.pt                                decoder.version 2 and no
                                            decoder.layer_norm: fairseq drops the
                                            final norm
  bad-*.pt                                  inputs the importer must refuse

fairseq is not installed, so the objects a real checkpoint pickles by
reference to fairseq (the training meters in extra_state, the iwslt
architecture's args.ffn_init function) come from stand-in modules registered
under fairseq's module names while saving.  The importer must read them
without fairseq.
"""
import argparse
import collections
import copy
import json
import os
import sys
import types

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
import gen_models  # noqa: E402
import st  # noqa: E402

K7 = [3, 7, 15, 31, 31, 31, 31]     # fairseq's add_args default: longer than 6 layers


# ---- stand-ins for what a real checkpoint pickles by reference to fairseq ----

def _fake_fairseq():
    def module(name):
        m = types.ModuleType(name)
        sys.modules[name] = m
        return m
    module("fairseq")
    meters = module("fairseq.meters")
    models = module("fairseq.models")
    mb = module("fairseq.models.transformer_multibranch_v2")

    class AverageMeter:
        def __init__(self):
            self.val, self.avg, self.sum, self.count = 0.5, 0.25, 3.0, 12
    AverageMeter.__module__ = "fairseq.meters"
    AverageMeter.__qualname__ = "AverageMeter"
    meters.AverageMeter = AverageMeter

    class TimeMeter(AverageMeter):
        pass
    TimeMeter.__module__ = "fairseq.meters"
    TimeMeter.__qualname__ = "TimeMeter"
    meters.TimeMeter = TimeMeter

    def ratio_xavier_uniform_(tensor, ratio=2, gain=1.):
        raise RuntimeError("never called")
    ratio_xavier_uniform_.__module__ = mb.__name__
    ratio_xavier_uniform_.__qualname__ = "ratio_xavier_uniform_"
    mb.ratio_xavier_uniform_ = ratio_xavier_uniform_
    models.transformer_multibranch_v2 = mb
    return meters, mb


METERS, MB = _fake_fairseq()


def common_args(**kw):
    """Training options every fairseq checkpoint's args carry (values are typical)."""
    a = dict(no_progress_bar=True, log_interval=1000, seed=1, cpu=False, fp16=False,
             memory_efficient_fp16=False, optimizer="adam", adam_betas="(0.9, 0.98)",
             adam_eps=1e-8, clip_norm=0.0, weight_decay=0.0, lr=[0.0005], min_lr=1e-9,
             lr_scheduler="inverse_sqrt", warmup_updates=4000, warmup_init_lr=1e-7,
             criterion="label_smoothed_cross_entropy", label_smoothing=0.1,
             max_tokens=4096, max_update=50000, update_freq=[1], ddp_backend="no_c10d",
             save_dir="checkpoints", keep_last_epochs=20, num_workers=4,
             dropout=0.1, attention_dropout=0.0, activation_dropout=0.0, relu_dropout=0.0,
             weight_dropout=0.1, input_dropout=0.1, encoder_ffn_list=[True] * 6,
             decoder_ffn_list=[True] * 6, encoder_decoder_branch_type=None,
             adaptive_softmax_cutoff=None, adaptive_softmax_dropout=0,
             no_token_positional_embeddings=False, adaptive_input=False,
             tie_adaptive_weights=None, ffn_init=None, encoder_embed_path=None,
             decoder_embed_path=None, weight_softmax=True, conv_linear=True)
    a.update(kw)
    return a


def encdec_args(cfg, arch, branch_enc, branch_dec, **kw):
    enc, dec = cfg["encoder"], cfg["decoder"]
    a = common_args(
        task="translation", arch=arch, source_lang="de", target_lang="en",
        left_pad_source=True, left_pad_target=False,
        encoder_embed_dim=cfg["dim"], decoder_embed_dim=cfg["dim"],
        encoder_ffn_embed_dim=enc["ffn"], decoder_ffn_embed_dim=dec["ffn"],
        encoder_layers=len(enc["layers"]), decoder_layers=len(dec["layers"]),
        encoder_attention_heads=8, decoder_attention_heads=dec["cross_heads"],
        encoder_normalize_before=enc["norm"] == "pre",
        decoder_normalize_before=dec["norm"] == "pre",
        encoder_learned_pos=False, decoder_learned_pos=False,
        encoder_branch_type=branch_enc, decoder_branch_type=branch_dec,
        encoder_kernel_size_list=list(K7), decoder_kernel_size_list=list(K7),
        activation_fn=enc["activation"],
        share_all_embeddings=cfg["embeddings"] == "shared",
        share_decoder_input_output_embed=cfg["output"] == "tied",
        decoder_input_dim=cfg["dim"], decoder_output_dim=cfg["dim"],
        max_source_positions=1024, max_target_positions=1024)
    a.update(kw)
    return a


# ---- state dicts in fairseq's layout ----

def state_dict(cfg, weights, conv_weight_2d=False):
    """gen_models' tensors (fairseq names) -> fairseq state dict: version
    buffers, sinusoid placeholders, one shared tensor object for a shared
    embedding, optionally the CUDA lightconv's (H, K) weight shape."""
    sd = collections.OrderedDict()
    sides = ["encoder", "decoder"] if cfg["kind"] == "encdec" else ["decoder"]
    shared = None
    for side in sides:
        sd[side + ".version"] = torch.tensor([3.0])
        for name, arr in weights.items():
            if not name.startswith(side + "."):
                continue
            t = torch.from_numpy(np.array(arr, dtype=np.float32))
            if conv_weight_2d and name.endswith(".weight") and t.dim() == 3:
                t = t.reshape(t.shape[0], t.shape[2])
            if name == "encoder.embed_tokens.weight":
                shared = t
            if name == "decoder.embed_tokens.weight" and cfg["embeddings"] == "shared":
                t = shared
            sd[name] = t
            if name.endswith("embed_tokens.weight"):
                sd[side + ".embed_positions._float_tensor"] = torch.zeros(1)
    return sd


def fairseq_state_dict(cfg, weights):
    """gen_models' tensors -> the state dict lite-transformer's fairseq saves
    for the models with learned/no positions and adaptive input/softmax:
    version buffers, a sinusoid placeholder only for sinusoidal positions, the
    adaptive modules' _float_tensor and version buffers, and every tied
    adaptive-softmax parameter under its own name too, as the SAME tensor
    object as the adaptive input's (TiedLinear holds the input's Parameter,
    and Module.state_dict() lists it under both names)."""
    sd = collections.OrderedDict()
    sides = ["encoder", "decoder"] if cfg["kind"] == "encdec" else ["decoder"]
    T = lambda name: torch.from_numpy(np.array(weights[name], dtype=np.float32))  # noqa: E731
    for side in sides:
        sd[side + ".version"] = torch.tensor([3.0])
        for name in weights:
            if name.startswith(side + ".") and not name.startswith("decoder.adaptive_softmax."):
                sd[name] = T(name)
        if "decoder.embed_tokens.embeddings.0.0.weight" in weights and side == "decoder":
            sd["decoder.embed_tokens._float_tensor"] = torch.zeros(1)
        if cfg[side].get("positions", "sinusoidal") == "sinusoidal":
            sd[side + ".embed_positions._float_tensor"] = torch.zeros(1)
    if cfg["output"] == "adaptive":
        sm, A, E = cfg["adaptive_softmax"], "decoder.adaptive_softmax.", "decoder.embed_tokens.embeddings."
        ntail = len(gen_models.band_cutoffs(sm["cutoffs"], cfg["tgt_vocab"])) - 1
        if sm["tie_weights"]:      # TiedHeadModule registers word_proj, then class_proj
            sd[A + "head.word_proj.weight"] = sd[E + "0.0.weight"]
            sd[A + "head.class_proj.weight"] = T(A + "head.class_proj.weight")
            sd[A + "head._float_tensor"] = torch.zeros(1)
        else:
            sd[A + "head.weight"] = T(A + "head.weight")
        for i in range(ntail):
            P = "%stail.%d." % (A, i)
            sd[P + "0.weight"] = sd["%s%d.1.weight" % (E, i + 1)] if sm["tie_proj"] else T(P + "0.weight")
            sd[P + "2.weight"] = sd["%s%d.0.weight" % (E, i + 1)] if sm["tie_weights"] else T(P + "2.weight")
        sd[A + "version"] = torch.LongTensor([1])
    return sd


def lm_ckpt_args(cfg, arch, branches, kernels, **kw):
    """Args of a lite-transformer LM trained on cfg (defaults as saved)."""
    dec = cfg["decoder"]
    a = common_args(
        task="language_modeling", arch=arch, criterion="cross_entropy",
        tokens_per_sample=cfg["max_target"], max_target_positions=None, sample_break_mode="none",
        decoder_embed_dim=cfg["dim"], decoder_ffn_embed_dim=dec["ffn"],
        decoder_layers=len(dec["layers"]), decoder_attention_heads=8,
        decoder_normalize_before=True, no_decoder_final_norm=not dec["final_norm"],
        decoder_learned_pos=False, decoder_branch_type=branches,
        decoder_kernel_size_list=kernels, decoder_glu=True, activation_fn=dec["activation"],
        share_decoder_input_output_embed=cfg["output"] == "tied",
        decoder_input_dim=dec.get("input_dim", cfg["dim"]),
        decoder_output_dim=dec.get("output_dim", cfg["dim"]), character_embeddings=False,
        adaptive_input_factor=4, adaptive_input_cutoff=None, adaptive_softmax_factor=4,
        tie_adaptive_proj=False)
    a.update(kw)
    return a


def to_old_style(sd):
    """The names fairseq used before 0.8: packed in_proj, layer_norms.N."""
    ln = {"encoder": {"self_attn_layer_norm": 0, "final_layer_norm": 1},
          "decoder": {"self_attn_layer_norm": 0, "encoder_attn_layer_norm": 1, "final_layer_norm": 2}}
    out = collections.OrderedDict()
    for k, t in sd.items():
        if ".k_proj." in k or ".v_proj." in k:
            continue
        if ".q_proj." in k:
            p, what = k.rsplit(".q_proj.", 1)
            out["%s.in_proj_%s" % (p, what)] = torch.cat(
                [sd["%s.%s.%s" % (p, q, what)] for q in ("q_proj", "k_proj", "v_proj")])
            continue
        parts = k.split(".")
        if len(parts) == 5 and parts[1] == "layers" and parts[3] in ln[parts[0]]:
            k = "%s.layers.%s.layer_norms.%d.%s" % (parts[0], parts[2], ln[parts[0]][parts[3]], parts[4])
        out[k] = t
    return out


def save(path, args, sd, legacy=False):
    ck = {
        "args": argparse.Namespace(**args),
        "model": sd,
        "optimizer_history": [{"criterion_name": "LabelSmoothedCrossEntropyCriterion",
                               "optimizer_name": "FairseqAdam",
                               "lr_scheduler_state": {"best": 4.2}, "num_updates": 50000}],
        "extra_state": {"epoch": 31, "val_loss": 4.2,
                        "train_iterator": {"epoch": 31, "iterations_in_epoch": 0},
                        "train_meters": collections.OrderedDict(
                            [("train_loss", METERS.AverageMeter()), ("wps", METERS.TimeMeter())])},
        "last_optimizer_state": {"state": {}, "param_groups": [{"lr": 1e-9}]},
    }
    torch.save(ck, path, _use_new_zipfile_serialization=not legacy)


# ---- the models ----

def tiny_config(name="tiny"):
    attn, conv, layer, stack = gen_models.attn, gen_models.conv, gen_models.layer, gen_models.stack
    return {
        "name": name, "kind": "encdec", "dim": 64,
        "src_vocab": 50, "tgt_vocab": 40, "max_source": 16, "max_target": 16,
        "tokens": gen_models.TOKENS, "embeddings": "separate", "output": "tied",
        "encoder": stack("pre", True, 96, "gelu", False,
                         [layer(attn(64, 4), plain=True) for _ in range(2)]),
        "decoder": stack("pre", True, 96, "gelu", False, [
            layer(conv("lightweight", 16, 2, 5, False), conv("dynamic", 16, 2, 3, False), attn(32, 4))
            for _ in range(2)], cross_heads=2),
    }


def write_model(gendir, cfg, weights):
    with open(os.path.join(gendir, cfg["name"] + ".json"), "w") as f:
        json.dump(cfg, f, indent=1)
        f.write("\n")
    st.save(os.path.join(gendir, cfg["name"] + ".safetensors"), weights)


def load(gendir, name):
    with open(os.path.join(gendir, name + ".json")) as f:
        cfg = json.load(f)
    return cfg, st.load(os.path.join(gendir, name + ".safetensors"))


def main(argv):
    if len(argv) != 3:
        sys.exit("usage: make_ckpts.py GENDIR CKPTDIR")
    gendir, out = argv[1], argv[2]
    os.makedirs(out, exist_ok=True)
    P = lambda n: os.path.join(out, n)  # noqa: E731

    # wmt: the paper's mobile setting, as configs/wmt16.en-de/.../embed200.yml trains it
    cfg, w = load(gendir, "wmt")
    br = ["attn:1:100:4", "dynamic:default:100:4"]
    wmt_args = encdec_args(cfg, "transformer_multibranch_v2_wmt_en_de", br, br,
                           encoder_glu=True, decoder_glu=True, dropout=0.04,
                           attention_dropout=0.03, weight_dropout=0.03, lr_scheduler="cosine")
    wmt_sd = state_dict(cfg, w)
    save(P("wmt.pt"), wmt_args, wmt_sd, legacy=True)   # torch < 1.6 wrote the legacy format
    save(P("wmt-old.pt"), wmt_args, to_old_style(wmt_sd), legacy=True)

    # iwslt: lightweight conv, no GLU, separate everything (embed160.yml)
    cfg, w = load(gendir, "iwslt")
    br = ["attn:1:80:4", "lightweight:default:80:4"]
    iwslt_args = encdec_args(cfg, "transformer_multibranch_v2_iwslt_de_en", br, br,
                             encoder_glu=False, decoder_glu=False, dropout=0.2,
                             ffn_init=MB.ratio_xavier_uniform_, weight_decay=0.0001)
    save(P("iwslt.pt"), iwslt_args, state_dict(cfg, w))

    # lm: decoder only; the LM architecture forces pre-norm whatever the args say
    cfg, w = load(gendir, "lm")
    dec = cfg["decoder"]
    br = ["attn:default:64:4", "dynamic:default:64:4"]
    lm_args = common_args(
        task="language_modeling", arch="transformer_lm_multibranch_v2",
        criterion="cross_entropy", tokens_per_sample=cfg["max_target"], max_target_positions=None,
        sample_break_mode="none", decoder_embed_dim=cfg["dim"], decoder_ffn_embed_dim=dec["ffn"],
        decoder_layers=len(dec["layers"]), decoder_attention_heads=8,
        decoder_normalize_before=False, no_decoder_final_norm=True, decoder_learned_pos=False,
        decoder_branch_type=br, decoder_kernel_size_list=[15, 15, 31, 31, 31, 31],
        decoder_glu=True, activation_fn="relu", share_decoder_input_output_embed=True,
        decoder_input_dim=cfg["dim"], decoder_output_dim=cfg["dim"], character_embeddings=False)
    save(P("lm.pt"), lm_args, state_dict(cfg, w))

    # tiny (and its fp16 twin): arch defaults give pre-norm; dims come from args
    cfg = tiny_config()
    w = gen_models.gen_weights(cfg)
    write_model(gendir, cfg, w)
    tiny_args = encdec_args(cfg, "transformer_multibranch_v2_wmt_en_de_big_t2t", None,
                            ["lightweight:5:16:2", "dynamic:default:16:2", "attn:1:32:4"],
                            encoder_attention_heads=4, decoder_kernel_size_list=[3],
                            decoder_glu=False, encoder_glu=True, weight_softmax=False,
                            max_source_positions=16, max_target_positions=16)
    del tiny_args["encoder_normalize_before"], tiny_args["decoder_normalize_before"]
    tiny_sd = state_dict(cfg, w, conv_weight_2d=True)   # as trained with the CUDA lightconv
    save(P("tiny.pt"), tiny_args, tiny_sd)
    save(P("tiny-old.pt"), tiny_args, to_old_style(tiny_sd), legacy=True)

    cfg16 = tiny_config("tiny16")
    w16 = {k: np.asarray(v, dtype=np.float16).astype(np.float32) for k, v in w.items()}
    write_model(gendir, cfg16, w16)
    sd16 = collections.OrderedDict((k, t.half()) for k, t in state_dict(cfg16, w16).items())
    save(P("tiny16.pt"), dict(tiny_args, fp16=True), sd16)

    # an older decoder: version 2 means no final LayerNorm in fairseq
    v2 = collections.OrderedDict((k, t) for k, t in tiny_sd.items() if not k.startswith("decoder.layer_norm."))
    v2["decoder.version"] = torch.tensor([2.0])
    save(P("tiny-v2.pt"), tiny_args, v2)

    # alm: the authors' WIKITEXT-103 small LM (transformer_lm_multibranch_v2_wiki103_small)
    # scaled down through args; adaptive input with an adaptive softmax tied to
    # it, weights and projections
    cfg, w = load(gendir, "alm")
    alm_sd = fairseq_state_dict(cfg, w)
    alm_args = lm_ckpt_args(cfg, "transformer_lm_multibranch_v2_wiki103_small",
                       ["attn:default:32:4", "dynamic:default:32:4"], [3, 7, 15],
                       criterion="adaptive_loss", adaptive_input=True, adaptive_input_factor=4.0,
                       adaptive_input_cutoff="40,120", adaptive_softmax_cutoff="40,120",
                       adaptive_softmax_factor=4.0, adaptive_softmax_dropout=0.2,
                       tie_adaptive_weights=True, tie_adaptive_proj=True, dropout=0.3)
    save(P("alm.pt"), alm_args, alm_sd)
    # the same, with what the architecture sets left to it
    alm_def = dict(alm_args)
    for k in ("adaptive_input", "tie_adaptive_weights", "tie_adaptive_proj", "no_decoder_final_norm",
              "adaptive_input_factor", "adaptive_softmax_factor"):
        del alm_def[k]
    save(P("alm-defaults.pt"), alm_def, alm_sd)

    # plm: learned positions, project_in_dim / project_out_dim, untied adaptive softmax
    cfg = copy.deepcopy(gen_models.MODELS["plm"])
    cfg["name"] = "plmf"
    cfg["decoder"]["layers"] = [gen_models.layer(gen_models.conv("lightweight", 24, 2, 4, False),
                                                 gen_models.attn(24, 2)) for _ in range(2)]
    w = gen_models.gen_weights(cfg)
    write_model(gendir, cfg, w)
    plm_sd = fairseq_state_dict(cfg, w)
    rows = cfg["decoder"]["learned_rows"]
    plm_args = lm_ckpt_args(cfg, "transformer_lm_multibranch_v2", ["lightweight:4:24:2", "attn:1:24:2"],
                       [3, 7, 15, 31, 31, 31], criterion="adaptive_loss", decoder_learned_pos=True,
                       max_target_positions=rows - 2, adaptive_softmax_cutoff="30,70",
                       adaptive_softmax_factor=2.0, decoder_glu=False)
    save(P("plm.pt"), plm_args, plm_sd)
    # args that do not fit the table (fairseq could not load it): the import
    # lowers max_target to what the table holds
    save(P("plm-long.pt"), dict(plm_args, max_target_positions=64), plm_sd)

    # xenc: even encoder kernels from the kernel list, learned positions,
    # decoder projections in and out of a narrower tied embedding
    cfg = copy.deepcopy(gen_models.MODELS["xenc"])
    cfg["name"] = "xencf"
    cfg["encoder"]["layers"] = [gen_models.layer(gen_models.conv("dynamic", 24, 2, k, True),
                                                 gen_models.attn(24, 3)) for k in (4, 2)]
    cfg["decoder"]["positions"] = "learned"
    cfg["decoder"]["learned_rows"] = cfg["max_target"] + 2
    w = gen_models.gen_weights(cfg)
    write_model(gendir, cfg, w)
    xenc_args = encdec_args(cfg, "transformer_multibranch_v2", ["dynamic:default:24:2", "attn:1:24:3"],
                            ["attn:1:24:2", "dynamic:3:24:2"], encoder_glu=True, decoder_glu=False,
                            encoder_kernel_size_list=[4, 2], encoder_learned_pos=True,
                            decoder_learned_pos=True, decoder_input_dim=32, decoder_output_dim=32,
                            max_source_positions=cfg["encoder"]["learned_rows"] - 2,
                            max_target_positions=cfg["max_target"])
    save(P("xenc.pt"), xenc_args, fairseq_state_dict(cfg, w))
    cfgn = copy.deepcopy(cfg)
    cfgn["name"] = "xencn"
    for side in ("encoder", "decoder"):
        cfgn[side]["positions"] = "none"
        del cfgn[side]["learned_rows"]
    wn = {k: v for k, v in w.items() if "embed_positions" not in k}
    write_model(gendir, cfgn, wn)
    save(P("xenc-nopos.pt"), dict(xenc_args, no_token_positional_embeddings=True,
                                  encoder_learned_pos=False, decoder_learned_pos=False),
         fairseq_state_dict(cfgn, wn))

    # ---- inputs to refuse ----
    save(P("bad-arch.pt"), dict(tiny_args, arch="lightconv_iwslt_de_en"), tiny_sd)
    save(P("bad-cutoff-vocab.pt"), dict(plm_args, adaptive_softmax_cutoff="30,700"), plm_sd)
    save(P("bad-cutoff-order.pt"), dict(plm_args, adaptive_softmax_cutoff="70,30"), plm_sd)
    # tie_adaptive_weights on a model without an adaptive input, and on one
    # whose adaptive softmax was saved untied
    save(P("bad-tie-noinput.pt"), dict(plm_args, tie_adaptive_weights=True), plm_sd)
    untied = collections.OrderedDict((k, t) for k, t in alm_sd.items() if ".adaptive_softmax." not in k)
    untied["decoder.adaptive_softmax.head.weight"] = torch.zeros(40 + 2, 64)
    for i, (size, dim) in enumerate([(80, 16), (180, 4)]):
        untied["decoder.adaptive_softmax.tail.%d.0.weight" % i] = torch.zeros(dim, 64)
        untied["decoder.adaptive_softmax.tail.%d.2.weight" % i] = torch.zeros(size, dim)
    untied["decoder.adaptive_softmax.version"] = torch.LongTensor([1])
    save(P("bad-tie-untied.pt"), alm_args, untied)
    save(P("bad-tie-proj.pt"), dict(alm_args, tie_adaptive_proj=False), alm_sd)
    # a tied copy that is not the adaptive input's tensor
    differs = copy.copy(alm_sd)
    differs["decoder.adaptive_softmax.tail.1.2.weight"] = alm_sd["decoder.embed_tokens.embeddings.2.0.weight"] + 1e-3
    save(P("bad-tie-differs.pt"), alm_args, differs)
    # the head fairseq builds when the softmax's input is wider than band 0
    wp = collections.OrderedDict()
    for k, t in alm_sd.items():
        if k == "decoder.adaptive_softmax.head.word_proj.weight":
            wp["decoder.adaptive_softmax.head.word_proj.0.weight"] = torch.zeros(64, 64)
            k = "decoder.adaptive_softmax.head.word_proj.1.weight"
        wp[k] = t
    save(P("bad-word-proj.pt"), alm_args, wp)
    # band 2 of the adaptive input would be int(64 // 64**2) = 0 wide
    save(P("bad-band-zero.pt"), dict(alm_args, adaptive_input_factor=64.0, adaptive_softmax_factor=64.0),
         alm_sd)
    small = copy.copy(plm_sd)
    small["decoder.embed_positions.weight"] = plm_sd["decoder.embed_positions.weight"][:2].clone()
    save(P("bad-table-small.pt"), plm_args, small)
    nover = collections.OrderedDict((k, t) for k, t in plm_sd.items() if k != "decoder.adaptive_softmax.version")
    save(P("bad-asm-version.pt"), plm_args, nover)
    save(P("bad-char.pt"), dict(lm_args, character_embeddings=True), state_dict(*load(gendir, "lm")))
    save(P("bad-branch.pt"), dict(tiny_args, decoder_branch_type=[
        "lightweight:5:16:2", "conv:default:16:2", "attn:1:32:4"]), tiny_sd)
    save(P("bad-no-linear.pt"), dict(tiny_args, conv_linear=False), tiny_sd)
    miss = copy.copy(tiny_sd)
    del miss["decoder.layers.1.fc2.bias"]
    save(P("bad-missing.pt"), tiny_args, miss)
    extra = copy.copy(tiny_sd)
    extra["decoder.layers.0.self_attn.branches.2.bias_k"] = torch.zeros(1, 1, 32)
    save(P("bad-extra.pt"), tiny_args, extra)
    save(P("bad-shape.pt"), dict(tiny_args, decoder_ffn_embed_dim=128), tiny_sd)
    save(P("bad-hydra.pt"), {}, tiny_sd)       # args None below
    ck = torch.load(P("bad-hydra.pt"))
    ck["args"], ck["cfg"] = None, {"model": {"arch": "transformer_multibranch_v2"}}
    torch.save(ck, P("bad-hydra.pt"))
    with open(P("bad-notackpt.pt"), "wb") as f:
        f.write(b"this is not a checkpoint\n")
    print("wrote checkpoints to %s" % out)


if __name__ == "__main__":
    main(sys.argv)
