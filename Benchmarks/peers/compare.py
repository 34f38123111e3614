#!/usr/bin/env python3
"""Crema against PyTorch CPU and ONNX Runtime on the same nets, interleaved in one sitting.

    python3 Benchmarks/peers/compare.py [--rounds 3] [--write]

Each round runs every measurement as separate processes, Crema first, then PyTorch, then ONNX
Runtime, so drift on a shared machine hits all systems alike; the table shows the medians over
rounds and the ratios the speed goals are stated in. Each process's peak resident memory is read
with wait4. Invalid results (a non-finite loss, wrong probabilities, a failed process) stop the
sitting with an error.

Crema: `experiments time caffenet --batch B --phase train|test [--step] --json F` (generated
inputs, labels all 0) and `experiments time lenet --step --batch 64` on Fashion-MNIST; PyTorch:
caffenet_torch.py and lenet_torch.py; ONNX Runtime: caffenet_ort.py. All report the median of
their timed iterations after one warm-up; LeNet's images/s is 64 / the median training step.

Not run by default (`--measures resnet`, `mobilenet`, `zoo` for both, or `all`): ResNet-50
(`experiments time resnet50`) and MobileNet v1 (`experiments time --net` on the zoo's deploy
prototxt, and for training the same net with labels, a loss and BatchNorm on batch statistics);
PyTorch: zoo_torch.py; ONNX Runtime: zoo_ort.py.
"""

import argparse
import collections
import datetime
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import caffe_prototxt  # noqa: E402  (plain Python, no torch)
import zoo_nets  # noqa: E402  (imports torch only when a net is built)

# key, column heading, kind, batch, net: kind is train (forward+backward), step (with the SGD
# update), inference, or lenet; net is caffenet, lenet, resnet50 or mobilenet.
Measure = collections.namedtuple("Measure", "key title kind batch net")
MEASURES = [
    Measure("train32", "train b32 fwd+bwd", "train", 32, "caffenet"),
    Measure("step32", "train b32 step", "step", 32, "caffenet"),
    Measure("train64", "train b64 fwd+bwd", "train", 64, "caffenet"),
    Measure("step64", "train b64 step", "step", 64, "caffenet"),
    Measure("train256", "train b256 fwd+bwd", "train", 256, "caffenet"),
    Measure("step256", "train b256 step", "step", 256, "caffenet"),
    Measure("infer64", "inference b64", "inference", 64, "caffenet"),
    Measure("infer256", "inference b256", "inference", 256, "caffenet"),
    Measure("infer1", "inference b1", "inference", 1, "caffenet"),
    Measure("lenet", "LeNet train img/s", "lenet", 64, "lenet"),
]
# Not in the default sitting: with them a round takes several minutes more on 2 cores.
ZOO_MEASURES = [
    Measure("resnet_train32", "ResNet-50 train b32 fwd+bwd", "train", 32, "resnet50"),
    Measure("resnet_infer32", "ResNet-50 inference b32", "inference", 32, "resnet50"),
    Measure("resnet_infer1", "ResNet-50 inference b1", "inference", 1, "resnet50"),
    Measure("mobilenet_train8", "MobileNet train b8 fwd+bwd", "train", 8, "mobilenet"),
    Measure("mobilenet_infer8", "MobileNet inference b8", "inference", 8, "mobilenet"),
    Measure("mobilenet_infer1", "MobileNet inference b1", "inference", 1, "mobilenet"),
]
ALL_MEASURES = MEASURES + ZOO_MEASURES
# Names for sets of measures in --measures.
MEASURE_GROUPS = {
    "default": [m.key for m in MEASURES],
    "resnet": [m.key for m in ZOO_MEASURES if m.net == "resnet50"],
    "mobilenet": [m.key for m in ZOO_MEASURES if m.net == "mobilenet"],
    "zoo": [m.key for m in ZOO_MEASURES],
    "all": [m.key for m in ALL_MEASURES],
}
NET_NAMES = {"caffenet": "CaffeNet", "lenet": "LeNet", "resnet50": "ResNet-50", "mobilenet": "MobileNet v1"}
# Nets whose ratios the speed issue sets goals for (training <= 0.8 of PyTorch's time, inference
# <= 1.0 of ONNX Runtime's); the others' ratios are reported without one.
NETS_WITH_GOALS = {"caffenet", "resnet50"}
DEFAULT_REPEAT = {1: 20, 8: 10, 32: 8, 64: 5, 256: 3}
SYSTEM_NAMES = {"crema": "Crema", "pytorch": "PyTorch CPU", "pytorch-bf16": "PyTorch CPU, bf16 autocast",
                "onnxruntime": "ONNX Runtime CPU"}


def log(message):
    print(message, file=sys.stderr, flush=True)


def die(message):
    log(f"error: {message}")
    sys.exit(1)


# Other work on the machine during each process, in cores: CPU time the whole machine spent
# (/proc/stat, steal included) minus the process's own. It hurts the systems unequally (with 2
# threads on 2 cores, PyTorch's OpenMP teams stall when a core is taken), so the report shows it.
OTHER_WORK = []


def machine_busy_seconds():
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()[1:]
    except OSError:
        return None
    user, nice, system, idle, iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def run(cmd, label, env=None, cwd=ROOT):
    """Runs cmd; returns (stdout, peak RSS bytes, seconds). A failure stops the sitting."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        busy = machine_busy_seconds()
        start = time.monotonic()
        process = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=cwd, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - start
        after = machine_busy_seconds()
        if busy is not None and after is not None and seconds > 0:
            OTHER_WORK.append((label, max(0.0, after - busy - usage.ru_utime - usage.ru_stime) / seconds))
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if process.returncode != 0:
        tail = "\n".join(stderr.strip().splitlines()[-15:])
        die(f"{label} failed (exit {process.returncode}): {shlex.join(cmd)}\n{tail}")
    return stdout, usage.ru_maxrss * 1024, seconds


def read_json(path, label):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as error:
        die(f"{label} wrote no readable JSON to {path}: {error}")


class Sitting:
    def __init__(self, args):
        self.args = args
        self.python = os.path.join(args.venv, "bin", "python")
        self.scratch = tempfile.mkdtemp(prefix="crema-peers-")
        self.results = {}   # (measure key, system) -> list of per-round records
        self.commands = {}  # (measure key, system) -> the command of the first round
        self.facts = {}
        self.written = set()  # files this sitting wrote (the MobileNet training net)
        env = dict(os.environ)
        for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env[name] = str(args.threads)
        self.peer_env = env

    def repeat(self, batch):
        return self.args.repeat or DEFAULT_REPEAT.get(batch, 5)

    def json_path(self, key, system, round_):
        return os.path.join(self.scratch, f"{key}-{system}-{round_}.json")

    def record(self, key, system, cmd, record):
        self.results.setdefault((key, system), []).append(record)
        self.commands.setdefault((key, system), shlex.join(cmd))

    # Crema ---------------------------------------------------------------------------------
    def crema_command(self, m, path):
        """Crema's `experiments time` command for measure m, writing its JSON to path."""
        a = self.args
        if m.kind == "lenet":
            return [a.experiments, "time", "lenet", "--step", "--batch", str(m.batch), "--threads", str(a.threads),
                    "--repeat", str(a.lenet_steps), "--json", path]
        if m.net == "mobilenet":
            # The deploy net for inference; for training, the same net with labels and a loss
            # whose BatchNorm uses each batch's statistics (caffe_prototxt.training_net).
            net = ["--net", self.mobilenet_training_net() if m.kind == "train" else zoo_nets.NETS["mobilenet"][0]]
        else:
            net = [m.net]
        cmd = [a.experiments, "time"] + net + ["--batch", str(m.batch),
                                               "--phase", "test" if m.kind == "inference" else "train",
                                               "--threads", str(a.threads), "--repeat", str(self.repeat(m.batch)),
                                               "--json", path]
        if m.kind == "step":
            cmd.insert(3, "--step")
        return cmd

    def mobilenet_training_net(self):
        """The MobileNet deploy net as a training net, written once next to the ONNX models."""
        path = os.path.join(self.args.onnx_dir, "mobilenet_v1_train.prototxt")
        if path not in self.written:
            deploy = zoo_nets.NETS["mobilenet"][0]
            try:
                with open(deploy) as f:
                    text = caffe_prototxt.training_net(f.read())
            except (OSError, caffe_prototxt.PrototxtError) as error:
                die(f"cannot make a training net of {deploy}: {error}")
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(text)
            self.written.add(path)
        return path

    def crema(self, m, round_):
        path = self.json_path(m.key, "crema", round_)
        cmd = self.crema_command(m, path)
        label = f"Crema {m.key}"
        _, rss, _ = run(cmd, label)
        r = read_json(path, label)
        if m.kind != "inference" and not r.get("losses_finite", False):
            die(f"{label}: Crema's loss is not finite ({r.get('losses')}): {shlex.join(cmd)}")
        if r.get("batch") != m.batch:
            die(f"{label}: Crema timed batch {r.get('batch')}, not {m.batch}")
        self.facts.setdefault("crema_blas", f"OpenBLAS core {r.get('blas_core')} "
                              f"(OPENBLAS_CORETYPE {r.get('environment', {}).get('openblas_coretype')}, "
                              f"{'chosen by Crema' if r.get('environment', {}).get('coretype_chosen_by_crema') else 'not chosen by Crema'}), "
                              f"{r.get('environment', {}).get('blas_library', 'OpenBLAS file unknown')}; "
                              f"threads: {r.get('environment', {}).get('thread_pool', 'unknown')}")
        self.facts.setdefault("crema_commit", r.get("environment", {}).get("git_commit"))
        self.record(m.key, "crema", cmd, {"ms_per_image": r["median_iteration_ms"] / m.batch,
                                          "images_per_second": r["images_per_second"], "rss": rss,
                                          "self_rss": r.get("peak_rss_bytes")})

    # PyTorch -------------------------------------------------------------------------------
    def pytorch_command(self, m, path, bf16):
        a = self.args
        if m.kind == "lenet":
            return [self.python, os.path.join(HERE, "lenet_torch.py"), "--iterations", str(a.lenet_steps),
                    "--batch", str(m.batch), "--threads", str(a.threads), "--json", path]
        if m.net == "caffenet":
            script = [os.path.join(HERE, "caffenet_torch.py")]
        else:
            script = [os.path.join(HERE, "zoo_torch.py"), "--net", m.net]
        cmd = [self.python] + script + ["--mode", m.kind, "--batch", str(m.batch),
                                        "--repeat", str(self.repeat(m.batch)), "--threads", str(a.threads), "--json", path]
        if bf16:
            cmd.append("--bf16")
        return cmd

    def pytorch(self, m, round_, bf16=False):
        system = "pytorch-bf16" if bf16 else "pytorch"
        path = self.json_path(m.key, system, round_)
        cmd = self.pytorch_command(m, path, bf16)
        label = f"{SYSTEM_NAMES[system]} {m.key}"
        _, rss, _ = run(cmd, label, env=self.peer_env, cwd=HERE)
        r = read_json(path, label)
        losses = r.get("losses", [])
        if m.kind != "inference" and (not losses or not all(isinstance(v, (int, float)) and v == v and abs(v) != float("inf") for v in losses)):
            die(f"{label}: PyTorch's loss is not finite ({losses}): {shlex.join(cmd)}")
        self.facts.setdefault("torch", r.get("torch"))
        if r.get("parameters"):
            self.facts.setdefault("parameters", {})[m.net] = r["parameters"]
        self.record(m.key, system, cmd, {"ms_per_image": r["ms_per_image"], "images_per_second": r["images_per_second"],
                                         "rss": rss, "self_rss": r.get("peak_rss_bytes")})

    # ONNX Runtime --------------------------------------------------------------------------
    def onnxruntime(self, m, round_):
        path = self.json_path(m.key, "onnxruntime", round_)
        a = self.args
        if m.net == "caffenet":
            script = [os.path.join(HERE, "caffenet_ort.py")]
        else:
            script = [os.path.join(HERE, "zoo_ort.py"), "--net", m.net]
        cmd = [self.python] + script + ["--model", onnx_model(a, m.net), "--batch", str(m.batch),
                                        "--repeat", str(self.repeat(m.batch)), "--threads", str(a.threads), "--json", path]
        label = f"ONNX Runtime {m.key}"
        _, rss, _ = run(cmd, label, env=self.peer_env, cwd=HERE)
        r = read_json(path, label)
        self.facts.setdefault("onnxruntime", r.get("onnxruntime"))
        self.record(m.key, "onnxruntime", cmd, {"ms_per_image": r["ms_per_image"],
                                                "images_per_second": r["images_per_second"], "rss": rss})

    def round(self, round_, measures, systems):
        for m in measures:
            if "crema" in systems:
                log(f"round {round_}: Crema {m.key}")
                self.crema(m, round_)
            if "pytorch" in systems:
                log(f"round {round_}: PyTorch {m.key}")
                self.pytorch(m, round_)
                if self.args.bf16 and m.kind in ("train", "step") and m.net == "caffenet":
                    log(f"round {round_}: PyTorch bf16 {m.key}")
                    self.pytorch(m, round_, bf16=True)
            if "onnxruntime" in systems and m.kind == "inference":
                log(f"round {round_}: ONNX Runtime {m.key}")
                self.onnxruntime(m, round_)

    # Report --------------------------------------------------------------------------------
    def value(self, key, system, field="ms_per_image"):
        values = [r[field] for r in self.results.get((key, system), []) if r.get(field) is not None]
        return statistics.median(values) if values else None

    def memory_key(self):
        """Training memory at batch 256: the whole step's process where it ran."""
        for key in ("step256", "train256"):
            if any((key, s) in self.results for s in ("crema", "pytorch")):
                return key
        return None

    def ratio(self, key, other):
        """Crema's time over the other system's for measure `key` (LeNet from images/s), or
        for "memory" Crema's peak memory over the other's; None when either is missing."""
        if key == "memory":
            mem_key = self.memory_key()
            c, o = self.value(mem_key, "crema", "rss"), self.value(mem_key, other, "rss")
        elif key == "lenet":
            # As a time ratio: Crema's time per image over the other's.
            c, o = self.value(key, other, "images_per_second"), self.value(key, "crema", "images_per_second")
        else:
            c, o = self.value(key, "crema"), self.value(key, other)
        return c / o if c and o else None

    def table(self, columns, pytorch_label="Crema / PyTorch (time; memory)"):
        """A Markdown table of (key, title) columns: a row per system that ran any of them, then
        Crema's ratios to PyTorch and to ONNX Runtime."""
        mem_key = self.memory_key()
        keys = {mem_key if key == "memory" else key for key, _ in columns}
        shown = [s for s in ("crema", "pytorch", "pytorch-bf16", "onnxruntime")
                 if any(k[1] == s and k[0] in keys for k in self.results)]
        lines = ["| system | " + " | ".join(t for _, t in columns) + " |", "|" + "---|" * (len(columns) + 1)]
        for system in shown:
            cells = []
            for key, _ in columns:
                if key == "memory":
                    v = self.value(mem_key, system, "rss")
                    cells.append(f"{v / 2**20:.0f}" if v else "-")
                elif key == "lenet":
                    v = self.value(key, system, "images_per_second")
                    cells.append(f"{v:.0f}" if v else "-")
                else:
                    v = self.value(key, system)
                    cells.append(f"{v:.2f}" if v else "-")
            lines.append(f"| {SYSTEM_NAMES[system]} | " + " | ".join(cells) + " |")
        for other, label in (("pytorch", pytorch_label), ("onnxruntime", "Crema / ONNX Runtime (time)")):
            if "crema" in shown and other in shown:
                cells = []
                for key, _ in columns:
                    r = self.ratio(key, other)
                    cells.append(f"{r:.2f}" if r else "-")
                lines.append(f"| {label} | " + " | ".join(cells) + " |")
        return lines

    def report(self, measures, systems, started):
        a = self.args
        cpu = cpu_description()
        lines = [f"# Crema against PyTorch and ONNX Runtime, {started:%Y-%m-%d %H:%M}", ""]
        lines.append(f"- Machine: {cpu}; {os.cpu_count()} cores visible; {a.threads} threads for every system.")
        lines.append(f"- Crema {self.facts.get('crema_commit') or '(commit unknown)'}: {self.facts.get('crema_blas', 'not run')}.")
        lines.append(f"- PyTorch {self.facts.get('torch', 'not run')}; ONNX Runtime {self.facts.get('onnxruntime', 'not run')}.")
        lines.append(f"- {a.rounds} round(s), interleaved (Crema, then PyTorch, then ONNX Runtime for each measurement); "
                     "each cell is the median over rounds of each process's median iteration.")
        if OTHER_WORK:
            label, worst = max(OTHER_WORK, key=lambda item: item[1])
            typical = statistics.median(w for _, w in OTHER_WORK)
            lines.append(f"- Other work on the machine while each process ran: median {typical:.2f} cores, "
                         f"at most {worst:.2f} ({label})"
                         + (". **The machine was not quiet: other work slows the systems unequally (PyTorch's "
                            "OpenMP threads stall when a core is taken), so these ratios are unreliable; rerun on a "
                            "quiet machine.**" if worst > 0.15 else "."))
        lines.append("- ms per image (lower is better) except LeNet (training images/s, higher is better) and memory "
                     "(peak resident MiB of the CaffeNet training process at batch 256, from wait4).")
        zoo_nets_run = [net for net in ("resnet50", "mobilenet") if any(m.net == net for m in measures)]
        lines += [f"- {line}" for line in self.zoo_notes(zoo_nets_run)]
        lines.append("")
        mem_key = self.memory_key()
        first = [(m.key, m.title) for m in measures if m.net in ("caffenet", "lenet")]
        first += [("memory", "CaffeNet train b256 peak MiB")] if mem_key else []
        if first:
            lines += self.table(first) + [""]
        for net in zoo_nets_run:
            lines += self.table([(m.key, m.title) for m in measures if m.net == net], "Crema / PyTorch (time)") + [""]

        goals = []

        def goal(text, value, limit, lower_is_better=True):
            if value is None:
                goals.append(f"- {text}: not measured")
            else:
                met = value <= limit if lower_is_better else value >= limit
                goals.append(f"- {text}: {value:.2f} (goal {'<=' if lower_is_better else '>='} {limit}) **{'met' if met else 'NOT met'}**")

        with_goals = [m for m in measures if m.net in NETS_WITH_GOALS]
        for m in with_goals:
            if m.kind in ("train", "step"):
                goal(f"{m.title}, Crema / PyTorch time", self.ratio(m.key, "pytorch"), 0.8)
        for m in with_goals:
            if m.kind == "inference":
                goal(f"{m.title}, Crema / ONNX Runtime time", self.ratio(m.key, "onnxruntime"), 1.0)
        if mem_key:
            goal(f"peak memory of CaffeNet training at batch 256 ({mem_key}), Crema / PyTorch", self.ratio("memory", "pytorch"), 1.0)
        if any(m.key == "lenet" for m in measures):
            c, p = self.value("lenet", "crema", "images_per_second"), self.value("lenet", "pytorch", "images_per_second")
            goal("LeNet training images/s, Crema / PyTorch", c / p if c and p else None, 1.25, lower_is_better=False)
        if goals:
            lines += ["## Goals of the speed issue", ""] + goals + [""]
        without = []
        for m in measures:
            if m.net in NETS_WITH_GOALS or m.kind == "lenet":
                continue
            for other in ("pytorch", "onnxruntime") if m.kind == "inference" else ("pytorch",):
                r = self.ratio(m.key, other)
                without.append(f"- {m.title}, Crema / {SYSTEM_NAMES[other].replace(' CPU', '')} time: "
                               + (f"{r:.2f}" if r else "not measured"))
        if without:
            lines += ["## Ratios without a goal", ""] + without + [""]

        lines += ["## Every round (ms per image; LeNet: images/s; peak MiB)", ""]
        shown = [s for s in ("crema", "pytorch", "pytorch-bf16", "onnxruntime") if any(k[1] == s for k in self.results)]
        for m in measures:
            for system in shown:
                records = self.results.get((m.key, system))
                if not records:
                    continue
                field = "images_per_second" if m.kind == "lenet" else "ms_per_image"
                values = ", ".join(f"{r[field]:.2f}" for r in records)
                rss = ", ".join(f"{r['rss'] / 2**20:.0f}" for r in records)
                lines.append(f"- {m.title}, {SYSTEM_NAMES[system]}: {values} (peak MiB {rss})")
        lines += ["", "## Commands (first round; JSON paths differ per round)", ""]
        for (key, system), cmd in self.commands.items():
            lines.append(f"- {key}, {SYSTEM_NAMES[system]}: `{cmd}`")
        lines += ["", f"Driver: `{shlex.join([sys.executable] + sys.argv)}`", ""]
        return "\n".join(lines)

    def zoo_notes(self, nets):
        """What the report says of the ResNet-50 and MobileNet measurements that ran."""
        notes = []
        counts = self.facts.get("parameters", {})
        if counts:
            checked = "; ".join(f"{NET_NAMES[n]} {counts[n]:,}" for n in nets if n in counts)
            notes.append(f"Learnable values of the PyTorch nets, each checked layer by layer against its Caffe prototxt: {checked}.")
        if "resnet50" in nets:
            notes.append("ResNet-50: Crema runs its recipe (`experiments time resnet50`, generated inputs, labels all 0); "
                         "its test phase ends in the recipe's accuracy and loss layers where the peers' nets end in a softmax.")
        if "mobilenet" in nets:
            training = "".join(f"; for training, the same net with labels, SoftmaxWithLoss and BatchNorm on each "
                               f"batch's statistics ({path}, from caffe_prototxt.training_net)" for path in sorted(self.written))
            notes.append(f"MobileNet v1: Crema runs the zoo's deploy prototxt (`--net`) for inference{training}.")
        return notes


def cpu_description():
    try:
        with open("/proc/cpuinfo") as f:
            info = f.read()
    except OSError:
        return "unknown CPU"
    fields = {}
    for line in info.splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            fields.setdefault(k.strip(), v.strip())
    flags = set(fields.get("flags", "").split())
    extras = [f for f in ("avx2", "avx512f", "avx512_bf16", "amx_tile", "amx_bf16") if f in flags]
    return (f"{fields.get('model name', 'unknown CPU')} (family {fields.get('cpu family', '?')} model "
            f"{fields.get('model', '?')}; {' '.join(extras) or 'no AVX2'})")


def chosen_measures(text):
    """The measures `--measures` names (keys or group names), in the table's order."""
    wanted = set()
    for word in (w.strip() for w in text.split(",")):
        if word in MEASURE_GROUPS:
            wanted.update(MEASURE_GROUPS[word])
        elif word in {m.key for m in ALL_MEASURES}:
            wanted.add(word)
        elif word:
            die(f"unknown measure '{word}'; choose from {[m.key for m in ALL_MEASURES]} or the groups {list(MEASURE_GROUPS)}")
    if not wanted:
        die("--measures names no measure")
    return [m for m in ALL_MEASURES if m.key in wanted]


def onnx_model(args, net):
    """The ONNX file ONNX Runtime times for `net`."""
    return args.onnx_model if net == "caffenet" else os.path.join(args.onnx_dir, f"{net}.onnx")


def export_onnx(args, net):
    """Exports `net` to ONNX (checked against PyTorch by the exporting script) unless the file exists."""
    path = onnx_model(args, net)
    if os.path.exists(path):
        return
    log(f"Exporting {NET_NAMES[net]} to {path}")
    script = ["caffenet_ort.py"] if net == "caffenet" else ["zoo_ort.py", "--net", net]
    run([os.path.join(args.venv, "bin", "python"), os.path.join(HERE, script[0])] + script[1:]
        + ["--export", "--model", path, "--threads", str(args.threads)], f"ONNX export of {NET_NAMES[net]}", cwd=HERE)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=None,
                        help="timed iterations per CaffeNet, ResNet-50 or MobileNet process (default by batch: %s)" % DEFAULT_REPEAT)
    parser.add_argument("--lenet-steps", type=int, default=300, help="timed LeNet training steps per process")
    parser.add_argument("--measures", default="default",
                        help="comma-separated measures (%s) or groups of them: default (the CaffeNet and LeNet "
                             "measures; the default), resnet, mobilenet, zoo (both), all"
                             % ",".join(m.key for m in ALL_MEASURES))
    parser.add_argument("--systems", default="crema,pytorch,onnxruntime")
    parser.add_argument("--bf16", action="store_true", help="also time PyTorch's bf16 autocast training")
    parser.add_argument("--experiments", default=os.path.join(ROOT, ".build", "release", "experiments"),
                        help="Crema's experiments binary (swift build -c release --product experiments)")
    parser.add_argument("--venv", default=os.environ.get("CREMA_PEERS_VENV", "/tmp/crema-peers-venv"))
    parser.add_argument("--onnx-model", default=os.path.join(tempfile.gettempdir(), "crema-peers", "caffenet.onnx"))
    parser.add_argument("--onnx-dir", default=os.path.join(tempfile.gettempdir(), "crema-peers"),
                        help="folder of the ResNet-50 and MobileNet ONNX models (NET.onnx, exported when missing) "
                             "and of the MobileNet training prototxt Crema times")
    parser.add_argument("--no-setup", action="store_true", help="do not run setup.sh (the venv must be ready)")
    parser.add_argument("--write", action="store_true", help="also write the report to Benchmarks/peers/results-DATE.md")
    args = parser.parse_args()

    args.experiments = os.path.abspath(args.experiments)
    measures = chosen_measures(args.measures)
    systems = {s.strip() for s in args.systems.split(",")}
    if not systems <= {"crema", "pytorch", "onnxruntime"}:
        die(f"unknown systems {systems - {'crema', 'pytorch', 'onnxruntime'}}")
    if args.rounds < 1:
        die("--rounds must be at least 1")
    if "crema" in systems and not os.access(args.experiments, os.X_OK):
        die(f"{args.experiments} is missing: build it with `swift build -c release --product experiments` "
            "(or name another with --experiments)")
    peers = systems & {"pytorch", "onnxruntime"}
    if peers and not args.no_setup:
        env = dict(os.environ, CREMA_PEERS_VENV=args.venv)
        log("Checking the peers' virtual environment (setup.sh)")
        out, _, _ = run(["bash", os.path.join(HERE, "setup.sh")], "setup.sh", env=env)
        log(next((line for line in out.splitlines() if line.startswith("peers ready")), out.strip()))
    if "onnxruntime" in systems:
        for net in dict.fromkeys(m.net for m in measures if m.kind == "inference"):
            export_onnx(args, net)

    started = datetime.datetime.now()
    OTHER_WORK.clear()
    sitting = Sitting(args)
    for r in range(1, args.rounds + 1):
        sitting.round(r, measures, systems)
    report = sitting.report(measures, systems, started)
    print(report)
    if args.write:
        path = os.path.join(HERE, f"results-{started:%Y-%m-%d}.md")
        n = 2
        while os.path.exists(path):
            path = os.path.join(HERE, f"results-{started:%Y-%m-%d}-{n}.md")
            n += 1
        with open(path, "w") as f:
            f.write(report)
        log(f"wrote {path}")


if __name__ == "__main__":
    main()
