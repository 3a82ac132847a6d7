//! The fuzzing engine: inputs made by mutating a committed seed corpus with a seeded generator,
//! each run through a target's check on the test's thread, with three properties checked:
//!
//! - no panic: caught, its input saved, and the run goes on; the test fails at the end;
//! - no hang: a watchdog saves the input and stops the process when one input has run for
//!   [`HANG_SECONDS`];
//! - no huge allocation: this binary's allocator ([`over_limit`]) saves the input and stops the
//!   process when a fuzzing thread asks for more than [`ALLOCATION_LIMIT`] bytes at once.
//!
//! Failing inputs go to `fuzz-failures/` in Cargo's test scratch directory. Feedback stands in
//! for coverage: an input whose outcome (accepted, or its error message with numbers blanked) is
//! new joins the pool that later inputs are mutated from, so an input that passes one check is
//! mutated on toward the next.
//!
//! `LEAKY_FUZZ_CASES=N` runs N inputs per target instead of each target's CI budget,
//! `LEAKY_FUZZ_SEED=S` draws other inputs, and `LEAKY_FUZZ_OUTCOMES=1` prints how many inputs
//! ended in each outcome (to see how deep a target's inputs get).

use std::cell::Cell;
use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request for more bytes than this, from a fuzzing thread, stops the run.
pub const ALLOCATION_LIMIT: usize = 256 << 20;
/// One input running this long stops the run.
pub const HANG_SECONDS: u64 = 20;
/// Inputs longer than this are cut.
const MAX_INPUT: usize = 1 << 20;
/// The pool of inputs mutated from stops growing here.
const MAX_POOL: usize = 2000;
/// The generator's seed unless `LEAKY_FUZZ_SEED` says otherwise.
const DEFAULT_SEED: u64 = 0x1eaf_f022;

/// Numbers worth trying wherever a number is written, for every target.
const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-1",
    "2",
    "7",
    "28",
    "255",
    "256",
    "784",
    "65535",
    "65536",
    "2147483648",
    "4294967295",
    "4294967296",
    "9007199254740993",
    "18446744073709551615",
    "18446744073709551616",
    "1e308",
    "1e309",
    "-1e309",
    "1e-320",
    "3.4028236e38",
    "0.5",
    "NaN",
    "nan",
    "inf",
    "-inf",
];

/// A target: its name (and its corpus's), its budget, and its mutations.
pub struct Target {
    /// The seeds are the lines of `corpus/NAME.txt`, or the files in `corpus/NAME/`.
    pub name: &'static str,
    /// Inputs per run in CI, unless `LEAKY_FUZZ_CASES` says otherwise.
    pub cases: usize,
    /// Words worth inserting (keywords of the format).
    pub dictionary: &'static [&'static str],
    /// A mutation that knows the format, tried on half the inputs.
    pub structured: Option<Mutation>,
}

/// A mutation that knows a format (decompress, mutate, recompress; fix checksums; edit a JSON
/// value): the new input, or `None` when it cannot read the input.
pub type Mutation = fn(&mut Rng, &[u8]) -> Option<Vec<u8>>;

/// A small seeded generator (SplitMix64).
pub struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number from 0 to `n - 1` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// One of `items` (not empty).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// What the allocator needs to save the input of a thread that asks for too much.
#[derive(Clone, Copy)]
struct Current {
    target: &'static str,
    case: usize,
    input: *const u8,
    len: usize,
}

thread_local! {
    /// Set while a fuzzing thread runs an input.
    static CURRENT: Cell<Option<Current>> = const { Cell::new(None) };
}

/// Whether an allocation of `size` bytes must fail: it is over [`ALLOCATION_LIMIT`] and asked
/// for while a fuzzing thread runs an input, whose input is then saved (and the process stops,
/// as it does when an allocation fails). Called by this binary's allocator.
pub fn over_limit(size: usize) -> bool {
    if size <= ALLOCATION_LIMIT {
        return false;
    }
    let Ok(Some(current)) = CURRENT.try_with(|c| c.take()) else {
        return false;
    };
    // SAFETY: the runner keeps the input alive and unmoved while `CURRENT` is set.
    let input = unsafe { std::slice::from_raw_parts(current.input, current.len) };
    let path = save_failure(current.target, current.case, input);
    eprintln!(
        "fuzz {}: input {} asks for {size} bytes at once (over {ALLOCATION_LIMIT}); saved to {}",
        current.target,
        current.case,
        path.display()
    );
    true
}

/// Runs `target`'s inputs through `check` (Ok: accepted; Err: refused with that message), and
/// fails if any panicked. Prints one line with the figures.
pub fn run(target: &Target, mut check: impl FnMut(&[u8]) -> Result<(), String>) {
    let seeds = corpus(target.name);
    assert!(!seeds.is_empty(), "no seeds for {}", target.name);
    let cases = std::env::var("LEAKY_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(target.cases);
    let seed = std::env::var("LEAKY_FUZZ_SEED")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(DEFAULT_SEED);
    let mut rng = Rng::new(seed ^ hash(target.name.as_bytes()));
    let watchdog = Watchdog::start(target.name);
    let mut pool = seeds.clone();
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    let start = Instant::now();
    for case in 0..cases {
        // The seeds themselves first, then mutations.
        let input = match seeds.get(case) {
            Some(seed) => seed.clone(),
            None => mutate(&mut rng, target, &pool),
        };
        watchdog.begin(case, &input);
        CURRENT.with(|c| {
            c.set(Some(Current {
                target: target.name,
                case,
                input: input.as_ptr(),
                len: input.len(),
            }))
        });
        let result = catch_unwind(AssertUnwindSafe(|| check(&input)));
        CURRENT.with(|c| c.set(None));
        watchdog.end();
        match result {
            Ok(outcome) => {
                let seen = outcomes.entry(outcome_class(&outcome)).or_default();
                *seen += 1;
                if *seen == 1 && pool.len() < MAX_POOL {
                    pool.push(input);
                }
            }
            Err(_) => failures.push(save_failure(target.name, case, &input)),
        }
    }
    watchdog.stop();
    if std::env::var_os("LEAKY_FUZZ_OUTCOMES").is_some() {
        for (class, count) in &outcomes {
            println!("  {count:8} {class}");
        }
    }
    println!(
        "fuzz {}: {cases} inputs from {} seeds (seed {seed}), {} outcomes, {:.1} s, {} failures",
        target.name,
        seeds.len(),
        outcomes.len(),
        start.elapsed().as_secs_f64(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "fuzz {}: {} inputs panicked, saved as {failures:?}",
        target.name,
        failures.len()
    );
}

/// The outcome with file paths dropped and numbers blanked, each part of it (a check may join
/// several errors with `; `) cut to 60 characters: errors that differ only in a size or an
/// offset are one class.
fn outcome_class(outcome: &Result<(), String>) -> String {
    let Err(message) = outcome else {
        return "ok".into();
    };
    let parts: Vec<String> = message
        .split("; ")
        .map(|part| {
            let part = match part.split_once(": ") {
                Some((path, rest)) if path.contains('/') => rest,
                _ => part,
            };
            let mut class = String::new();
            for c in part.chars().take(60) {
                if !(c.is_ascii_digit() && class.ends_with('#')) {
                    class.push(if c.is_ascii_digit() { '#' } else { c });
                }
            }
            class
        })
        .collect();
    parts.join("; ")
}

/// A new input from one in `pool`: a format-aware mutation of it, or one to four byte-level
/// ones (at times spliced with another input of the pool).
fn mutate(rng: &mut Rng, target: &Target, pool: &[Vec<u8>]) -> Vec<u8> {
    let input = rng.pick(pool);
    if let Some(structured) = target.structured
        && rng.below(2) == 0
        && let Some(mutated) = structured(rng, input)
    {
        return mutated;
    }
    let mut data = mutate_bytes(rng, input, target.dictionary);
    if rng.below(8) == 0 {
        let other = rng.pick(pool);
        let cut = rng.below(data.len() + 1);
        let from = rng.below(other.len() + 1);
        data.truncate(cut);
        data.extend_from_slice(&other[from..]);
    }
    data.truncate(MAX_INPUT);
    data
}

/// One to four byte-level mutations of `input`: flipped bits, random or boundary bytes and
/// 32-bit words, inserted, deleted or repeated ranges, a cut, a word of `dictionary`, a number
/// replaced by a boundary number.
pub fn mutate_bytes(rng: &mut Rng, input: &[u8], dictionary: &[&str]) -> Vec<u8> {
    let mut data = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(data.len() + 1);
        match rng.below(11) {
            0 | 1 if !data.is_empty() => {
                let i = at.min(data.len() - 1);
                data[i] ^= 1 << rng.below(8);
            }
            2 if !data.is_empty() => {
                let i = at.min(data.len() - 1);
                let random = rng.next() as u8;
                data[i] = *rng.pick(&[0, 1, 0x7f, 0x80, 0xff, random]);
            }
            3 if data.len() >= 4 => {
                let i = at.min(data.len() - 4);
                let word = *rng.pick(&[0, 1, 28, 784, 0x7fff_ffff, 0x8000_0000, u32::MAX]);
                let bytes = match rng.below(2) {
                    0 => word.to_be_bytes(),
                    _ => word.to_le_bytes(),
                };
                data[i..i + 4].copy_from_slice(&bytes);
            }
            4 => {
                let len = 1 + rng.below(16);
                let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
                data.splice(at..at, bytes);
            }
            5 if !data.is_empty() => {
                let end = (at + 1 + rng.below(64)).min(data.len());
                data.drain(at.min(end)..end);
            }
            6 if !data.is_empty() => {
                let from = rng.below(data.len());
                let end = (from + 1 + rng.below(64)).min(data.len());
                let chunk = data[from..end].to_vec();
                data.splice(at..at, chunk);
            }
            7 => data.truncate(at),
            8 if !dictionary.is_empty() => {
                let word = rng.pick(dictionary).as_bytes().to_vec();
                data.splice(at..at, word);
            }
            _ => replace_number(rng, &mut data, at),
        }
    }
    data
}

/// Replaces the run of ASCII digits at or after `at` (or inserts at `at`) with one of
/// [`NUMBERS`].
fn replace_number(rng: &mut Rng, data: &mut Vec<u8>, at: usize) {
    let number = rng.pick(NUMBERS).as_bytes().to_vec();
    let start = (at..data.len())
        .find(|&i| data[i].is_ascii_digit())
        .unwrap_or(at);
    let end = (start..data.len())
        .find(|&i| !(data[i].is_ascii_digit() || data[i] == b'.'))
        .unwrap_or(data.len());
    data.splice(start..end.max(start), number);
}

/// The seeds of `name`: the lines of `corpus/NAME.txt`, or the files in `corpus/NAME/`.
fn corpus(name: &str) -> Vec<Vec<u8>> {
    let dir = corpus_dir();
    if let Ok(text) = std::fs::read(dir.join(format!("{name}.txt"))) {
        return text.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join(name))
        .map(|entries| entries.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    files.sort();
    files.iter().map(|f| std::fs::read(f).unwrap()).collect()
}

/// `tests/fuzz/corpus` in this crate.
pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/corpus")
}

/// Saves a failing input as `fuzz-failures/TARGET-CASE` in Cargo's test scratch directory.
fn save_failure(target: &str, case: usize, input: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-failures");
    let path = dir.join(format!("{target}-{case}"));
    let _ = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, input));
    path
}

fn hash(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// Watches the input being run: saves it and stops the process if it runs for
/// [`HANG_SECONDS`].
struct Watchdog {
    running: Arc<Mutex<Option<Running>>>,
    done: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

/// The input being run: its number, since when, and its bytes.
struct Running {
    case: usize,
    since: Instant,
    input: Vec<u8>,
}

impl Watchdog {
    fn start(target: &'static str) -> Self {
        let running: Arc<Mutex<Option<Running>>> = Arc::default();
        let done = Arc::new(AtomicBool::new(false));
        let (watched, finished) = (running.clone(), done.clone());
        let thread = std::thread::spawn(move || {
            while !finished.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(100));
                let guard = watched.lock().unwrap();
                if let Some(run) = guard.as_ref()
                    && run.since.elapsed() > Duration::from_secs(HANG_SECONDS)
                {
                    let path = save_failure(target, run.case, &run.input);
                    eprintln!(
                        "fuzz {target}: input {} has run for {HANG_SECONDS} s; saved to {}",
                        run.case,
                        path.display()
                    );
                    std::process::exit(101);
                }
            }
        });
        Watchdog {
            running,
            done,
            thread,
        }
    }

    fn begin(&self, case: usize, input: &[u8]) {
        *self.running.lock().unwrap() = Some(Running {
            case,
            since: Instant::now(),
            input: input.to_vec(),
        });
    }

    fn end(&self) {
        *self.running.lock().unwrap() = None;
    }

    fn stop(self) {
        self.done.store(true, Ordering::Relaxed);
        self.thread.join().unwrap();
    }
}
