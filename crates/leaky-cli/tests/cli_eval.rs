//! `leaky eval` and `leaky list`, and their answers to bad input.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn leaky(args: &[&str]) -> Output {
    leaky_with_stdin(args, None)
}

fn leaky_with_stdin(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_leaky"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the leaky binary runs");
    let mut pipe = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        pipe.write_all(text.as_bytes()).unwrap();
    }
    drop(pipe);
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// A usage error: exit code 2, a message on stderr, nothing on stdout, no panic.
fn assert_usage_error(o: &Output, needle: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "stderr: {err}");
    assert!(err.contains(needle), "expected '{needle}' in: {err}");
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
    assert!(o.stdout.is_empty(), "stdout: {}", stdout(o));
}

#[test]
fn eval_prints_csv_with_shortest_round_trip_values() {
    let o = leaky(&["eval", "leaky_relu", "--x", "-1,0,-0,2.5,NaN,inf,-inf"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let expected = "x,y,dy\n-1.0,-0.01,0.01\n0.0,0.0,0.01\n-0.0,-0.0,0.01\n2.5,2.5,1.0\nNaN,NaN,0.01\ninf,inf,1.0\n-inf,-inf,0.01\n";
    assert_eq!(stdout(&o), expected);
}

#[test]
fn eval_values_read_back_to_the_same_float() {
    let o = leaky(&[
        "eval",
        "sigmoid",
        "--x",
        "-100,-3.3,0.7,12",
        "--dtype",
        "f32",
    ]);
    for line in stdout(&o).lines().skip(1) {
        let cols: Vec<f32> = line.split(',').map(|c| c.parse().unwrap()).collect();
        let a = leaky::Activation::Sigmoid;
        assert_eq!(cols[1], a.forward(cols[0]), "{line}");
        assert_eq!(cols[2], a.derivative(cols[0]), "{line}");
    }
    let o = leaky(&["eval", "tanh", "--x", "0.1", "--dtype", "f64"]);
    let line = stdout(&o).lines().nth(1).unwrap().to_string();
    let y: f64 = line.split(',').nth(1).unwrap().parse().unwrap();
    assert_eq!(y, 0.1_f64.tanh());
}

#[test]
fn eval_range_matches_numpy_linspace() {
    let o = leaky(&[
        "eval", "relu", "--from", "-2", "--to", "2", "--points", "100", "--dtype", "f64",
    ]);
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 101);
    assert_eq!(lines[1], "-2.0,0.0,0.0");
    assert!(lines[2].starts_with("-1.9595959595959596,"), "{}", lines[2]);
    assert_eq!(lines[100], "2.0,2.0,1.0");
}

#[test]
fn eval_reads_standard_input_and_skips_blank_lines() {
    let o = leaky_with_stdin(
        &["eval", "LeakyReLU:alpha=0.5"],
        Some("1\n\n  -2 \nnan\n-inf\n"),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "x,y,dy\n1.0,1.0,1.0\n-2.0,-1.0,0.5\nNaN,NaN,0.5\n-inf,-inf,0.5\n"
    );
}

#[test]
fn eval_json() {
    let o = leaky(&["eval", "relu", "--x", "-1,inf,nan", "--format", "json"]);
    assert_eq!(
        stdout(&o).trim(),
        r#"{"activation":"relu","dtype":"f32","points":[{"x":-1.0,"y":0.0,"dy":0.0},{"x":"inf","y":"inf","dy":1.0},{"x":"NaN","y":"NaN","dy":1.0}]}"#
    );
}

#[test]
fn eval_rejects_bad_input_with_clear_errors() {
    assert_usage_error(
        &leaky(&["eval", "leaky_rleu", "--x", "1"]),
        "did you mean 'leaky_relu'",
    );
    assert_usage_error(
        &leaky(&["eval", "leaky_relu:alpha=nan", "--x", "1"]),
        "finite",
    );
    assert_usage_error(
        &leaky(&["eval", "leaky_relu:alpha=inf", "--x", "1"]),
        "finite",
    );
    assert_usage_error(
        &leaky(&["eval", "leaky_relu:beta=1", "--x", "1"]),
        "no parameter 'beta'",
    );
    assert_usage_error(
        &leaky(&["eval", "leaky_relu:alpha=x", "--x", "1"]),
        "not a number",
    );
    assert_usage_error(
        &leaky(&["eval", "relu", "--x", "1,abc"]),
        "'abc' is not a number",
    );
    assert_usage_error(
        &leaky(&["eval", "relu", "--from", "2", "--to", "1"]),
        "must be less than",
    );
    assert_usage_error(
        &leaky(&["eval", "relu", "--from", "1", "--to", "1"]),
        "must be less than",
    );
    assert_usage_error(
        &leaky(&["eval", "relu", "--from", "nan", "--to", "1"]),
        "finite",
    );
    assert_usage_error(
        &leaky(&["eval", "relu", "--from", "0", "--to", "1", "--points", "1"]),
        "at least 2",
    );
    assert_usage_error(
        &leaky(&[
            "eval",
            "relu",
            "--from",
            "0",
            "--to",
            "1",
            "--points",
            "100000000000",
        ]),
        "at most",
    );
    assert_usage_error(&leaky(&["eval", "relu", "--from", "0"]), "--to");
    assert_usage_error(
        &leaky(&["eval", "relu", "--dtype", "f16", "--x", "1"]),
        "f16",
    );
    assert_usage_error(&leaky(&["eval"]), "SPEC");
    assert_usage_error(&leaky(&["frobnicate"]), "frobnicate");
}

#[test]
fn eval_reports_the_line_of_a_bad_number_on_standard_input() {
    let o = leaky_with_stdin(&["eval", "relu"], Some("1\n2\n\nx3\n"));
    assert_usage_error(&o, "line 4: 'x3' is not a number");
    let o = leaky_with_stdin(&["eval", "relu"], Some("\n\n"));
    assert_usage_error(&o, "no numbers");
}

#[test]
fn list_shows_every_activation_with_parameters_and_formulas() {
    let o = leaky(&["list"]);
    assert!(o.status.success());
    let out = stdout(&o);
    for kind in leaky::Kind::ALL {
        let info = kind.info();
        assert!(
            out.contains(info.name) && out.contains(info.torch_name),
            "{}",
            info.name
        );
        assert!(out.contains(info.formula), "{}", info.formula);
        for p in info.params {
            assert!(
                out.contains(&format!("{} = {:?}", p.name, p.default)),
                "{}",
                p.name
            );
        }
    }
    assert!(out.contains("alpha = 0.01 (also: negative_slope)"));
}
