//! Fuzzing `leaky eval`'s numbers on standard input, on the built binary: generated lines of
//! numbers, near-numbers, control characters, long digit runs and bytes that are not UTF-8.
//! The property: exit 0 with a CSV or JSON table, or exit 2 with one `leaky: error:` line;
//! never a panic or another exit code.
//!
//! Each input is one run of the binary, so CI runs 300; `LEAKY_FUZZ_CASES=N` (the figure the
//! library's fuzz targets take) runs N / 100, and `LEAKY_FUZZ_SEED=S` draws other inputs.

use std::io::Write;
use std::process::{Command, Stdio};

/// Inputs in CI.
const CASES: usize = 300;

/// Pieces that lines are made of.
const PIECES: &[&[u8]] = &[
    b"0",
    b"-0",
    b"1",
    b"-1.5",
    b"2.5e3",
    b"1e308",
    b"1e309",
    b"-1e-320",
    b"NaN",
    b"nan",
    b"inf",
    b"-inf",
    b"infinity",
    b"+3",
    b"0x10",
    b"1_000",
    b"1,5",
    b".",
    b"-",
    b"e",
    b"E5",
    b" ",
    b"\t",
    b"\r",
    b"\x00",
    b"\x1b[31m",
    b"\xff",
    b"\xc3",
    b"\xe2\x80\xa8",
    b"\xd9\xa1",
    b"99999999999999999999999999999999999999999999",
];

/// SplitMix64.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) % n as u64) as usize
    }
}

/// Up to 8 lines of up to 4 pieces each, at times with a random byte or a very long line.
fn input(rng: &mut Rng) -> Vec<u8> {
    let mut bytes = Vec::new();
    for _ in 0..rng.below(9) {
        for _ in 0..rng.below(5) {
            bytes.extend_from_slice(PIECES[rng.below(PIECES.len())]);
        }
        if rng.below(10) == 0 {
            bytes.push(rng.below(256) as u8);
        }
        if rng.below(50) == 0 {
            bytes.extend(std::iter::repeat_n(b'7', 100_000));
        }
        bytes.push(b'\n');
    }
    if rng.below(4) == 0 {
        bytes.pop();
    }
    bytes
}

#[test]
fn numbers_on_standard_input() {
    let cases = std::env::var("LEAKY_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse::<usize>().ok())
        .map_or(CASES, |n| (n / 100).max(1));
    let seed = std::env::var("LEAKY_FUZZ_SEED")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0x1eaf_f022);
    let mut rng = Rng(seed);
    let (mut accepted, mut refused) = (0, 0);
    for case in 0..cases {
        let stdin = input(&mut rng);
        let mut args = vec!["eval", ["relu", "gelu", "softplus:beta=2"][rng.below(3)]];
        if rng.below(2) == 0 {
            args.extend(["--dtype", "f64"]);
        }
        if rng.below(2) == 0 {
            args.extend(["--format", "json"]);
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_leaky"))
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Written from a thread: the binary may stop reading at the first bad line.
        let mut pipe = child.stdin.take().unwrap();
        let writer = std::thread::spawn({
            let stdin = stdin.clone();
            move || {
                let _ = pipe.write_all(&stdin);
            }
        });
        let output = child.wait_with_output().unwrap();
        writer.join().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let shown = String::from_utf8_lossy(&stdin);
        match output.status.code() {
            Some(0) => {
                assert!(stderr.is_empty(), "case {case} {shown:?}: {stderr}");
                assert!(
                    stdout.starts_with("x,y,dy\n") || stdout.starts_with("{\"activation\""),
                    "case {case} {shown:?}: {stdout}"
                );
                accepted += 1;
            }
            Some(2) => {
                assert!(
                    stderr.starts_with("leaky: error: standard input")
                        && stderr.trim_end().lines().count() == 1
                        && stderr.len() < 200,
                    "case {case} {shown:?}: {stderr}"
                );
                refused += 1;
            }
            code => panic!("case {case} {shown:?}: exit {code:?}, {stderr}"),
        }
    }
    println!(
        "fuzz stdin_numbers: {cases} inputs (seed {seed}), {accepted} accepted, {refused} refused, 0 failures"
    );
}
