"""Bad input: one line on stderr naming the field and the value, exit code 2, no traceback."""

import pytest

from shufflenet_cli import UserError
from shufflenet_cli import shufflenet_spec


def assert_one_line_error(result, *fragments):
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


SPEC_ERRORS = [
    # (YAML, fragments the message must contain)
    ("stages:\n  - {out_channels: 250, units: 2, groups: 3}\n", ["stages[0].groups", "3", "250"]),
    ("groups: 3\nstem_channels: 25\n", ["stages[0].groups: 3 does not divide", "215"]),
    ("groups: 3\nunits: [4, 2.5, 4]\n", ["units[1]", "2.5", "not a whole number"]),
    ("groups: 3\nstem_channels: -4\n", ["stem_channels", "-4"]),
    ("groups: 0\n", ["groups", "0"]),
    ("groups: 3\ngroupz: 3\n", ["groupz", "unknown"]),
    ("stages:\n  - {out_channels: 240, units: 4, groups: 3, width: 2}\n", ["width", "unknown"]),
    ("groups: 3\nstage_channels: [240, 480, 100000]\n", ["stage_channels[2]", "100000"]),
    ("family: resnet\n", ["family", "resnet"]),
    ("family: mobilenet\nwidth: -1\n", ["width", "-1"]),
    ("stages: [\n", ["malformed YAML"]),
    ("- just\n- a list\n", ["expected a mapping"]),
    ("", ["empty"]),
    ("groups: 3\nresolution: 16\n", ["resolution", "16", "too small"]),
]


@pytest.mark.parametrize("text, fragments", SPEC_ERRORS)
def test_bad_spec_file(run_cli, spec_file, text, fragments):
    assert_one_line_error(run_cli("profile", "--spec", spec_file(text), "--no-latency"), *fragments)


@pytest.mark.parametrize(
    "args, fragments",
    [
        (["--groups", "0"], ["--groups", "'0'"]),
        (["--groups", "abc"], ["'abc'"]),
        (["--scale", "-1"], ["'-1'"]),
        (["--preset", "shufflenet-3y-g7"], ["unknown preset", "shufflenet-3y-g7"]),
        (["--spec", "no/such/file.yaml"], ["no/such/file.yaml", "does not exist"]),
        (["--resolution", "16"], ["resolution", "16", "too small"]),
        (["--baseline", "mobilenet-v9"], ["unknown preset", "mobilenet-v9"]),
        (["--format", "xml"], ["xml"]),
        (["--threads", "0"], ["--threads"]),
        (["--frobnicate"], ["--frobnicate"]),
        (["--backend", "tvm"], ["backend", "'tvm'"]),
    ],
)
def test_bad_profile_flags(run_cli, args, fragments):
    assert_one_line_error(run_cli("profile", "--no-latency", *args), *fragments)


def test_absurd_size_is_refused_before_building(run_cli):
    r = run_cli(
        "profile",
        "--groups",
        "8",
        "--scale",
        "8",
        "--resolution",
        "4096",
        "--batch-size",
        "64",
        "--baseline",
        "none",
    )
    assert_one_line_error(r, "batch size 64", "GiB")


def test_output_errors_and_existing_file_kept(run_cli, tmp_path):
    assert_one_line_error(run_cli("profile", "--no-latency", "-o", tmp_path), "is a directory")
    assert_one_line_error(
        run_cli("profile", "--no-latency", "-o", tmp_path / "no" / "x.json"), "does not exist"
    )
    keep = tmp_path / "keep.json"
    keep.write_text("precious")
    r = run_cli("profile", "--preset", "nope", "--no-latency", "--format", "json", "-o", keep)
    assert r.exit_code == 2 and keep.read_text() == "precious"


def test_show_errors(run_cli, spec_file):
    assert_one_line_error(run_cli("show", "nope"), "unknown preset")
    assert_one_line_error(run_cli("show", spec_file("stages: 3\n")), "stages")
    assert_one_line_error(run_cli("presets", "zzz*"), "no preset matches")


def test_errors_as_a_real_process(run_process, tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("groups: 3\nunits: [4, 0, 4]\n")
    r = run_process("profile", "--spec", p, "--no-latency")
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.strip().splitlines() == [
        f"error: {p}: units[1]: 0 must be a positive whole number"
    ]


def test_python_api_raises_user_error():
    with pytest.raises(UserError, match="stages\\[0\\].groups: 7"):
        shufflenet_spec(groups=7, stage_channels=[240, 480, 960])
    with pytest.raises(UserError, match="unknown ShuffleNet field"):
        shufflenet_spec(groups=3, depth=3)
