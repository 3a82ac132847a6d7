//! The `bench` and `accuracy` commands, and the `LEAKY_TIER` / `LEAKY_THREADS` settings, through
//! the built binary.

use std::process::Command;

fn leaky() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_leaky"));
    cmd.env_remove("LEAKY_TIER").env_remove("LEAKY_THREADS");
    cmd
}

#[test]
fn an_unknown_or_unavailable_tier_is_a_clear_error() {
    let out = leaky()
        .args(["eval", "relu", "--x", "1"])
        .env("LEAKY_TIER", "avx9")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("LEAKY_TIER") && err.contains("avx512"),
        "{err}"
    );

    let out = leaky()
        .args(["eval", "relu", "--x", "1"])
        .env("LEAKY_THREADS", "0")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("LEAKY_THREADS"));
}

#[test]
fn every_available_tier_can_be_forced_by_environment() {
    for tier in ["scalar", "portable"] {
        let out = leaky()
            .args(["eval", "leaky_relu", "--x", "-2,0,3"])
            .env("LEAKY_TIER", tier)
            .env("LEAKY_THREADS", "1")
            .output()
            .unwrap();
        assert!(out.status.success(), "{tier}");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "x,y,dy\n-2.0,-0.02,0.01\n0.0,0.0,0.01\n3.0,3.0,1.0\n"
        );
    }
}

/// `leaky bench --json` on 4Ki `f32` elements, one thread, briefly, with `args` added: its
/// standard output and standard error.
fn bench_json(args: &[&str]) -> (String, String) {
    let out = leaky()
        .args(["bench", "--json", "--sizes", "4Ki", "--dtypes", "f32"])
        .args(["--min-time", "0.001", "--threads", "1"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = |bytes| String::from_utf8(bytes).unwrap();
    (text(out.stdout), text(out.stderr))
}

#[test]
fn bench_prints_json_with_copy_ratios() {
    let (json, _) = bench_json(&["relu", "--tier", "portable"]);
    // The processor's model comes first, as /proc/cpuinfo names it, so figures are never mixed up.
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines().find_map(|l| {
                Some(
                    l.strip_prefix("model name")?
                        .split_once(':')?
                        .1
                        .trim()
                        .to_string(),
                )
            })
        })
        .unwrap_or_else(|| "unknown CPU".to_string());
    assert!(
        json.starts_with(&format!(
            "{{\"cpu\":\"{cpu}\",\"tier\":\"portable\",\"threads\":1,\"results\":["
        )),
        "{json}"
    );
    for direction in [
        "\"copy\"",
        "\"forward\"",
        "\"forward_in_place\"",
        "\"backward\"",
        "\"backward_from_output\"",
    ] {
        assert!(json.contains(direction), "{direction} missing: {json}");
    }
    assert_eq!(json.matches("\"vs_copy\":").count(), 5);
}

#[test]
fn bench_leaves_out_the_backward_from_the_output_where_it_does_not_apply() {
    let (json, notes) = bench_json(&["gelu", "tanh", "--directions", "from-output"]);
    // GELU's output does not tell its derivative (it is not invertible): only tanh is measured.
    assert_eq!(
        json.matches("\"backward_from_output\"").count(),
        1,
        "{json}"
    );
    assert!(json.contains("\"activation\":\"tanh\""), "{json}");
    assert!(!json.contains("gelu"), "{json}");
    // ... and says so, once.
    assert_eq!(
        notes
            .matches("no backward from the output for gelu")
            .count(),
        1,
        "{notes}"
    );
}

#[test]
fn accuracy_reports_the_bound_on_a_sample() {
    let out = leaky()
        .args([
            "accuracy",
            "sigmoid",
            "--samples",
            "100000",
            "--direction",
            "forward",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("sigmoid forward (f32, tier "), "{text}");
    assert!(text.contains("max ") && text.contains(" ULP"), "{text}");
}
