//! Subnormal floats flushed while training runs, on rayon's global pool.
//!
//! A binary of its own, without the test harness, for two reasons: these checks
//! read the float mode of rayon's global pool, which any training in the
//! integration tests (`tests/it/`) changes while it runs, so they cannot share a
//! process with them; and `first_use` must be the first use of rayon in its
//! process, so `main` runs the checks one by one, in this order.
//! `cargo test -- --list` lists them; a name given as an argument runs the checks
//! whose names contain it.

mod during_training;
mod first_use;

// The helpers of the integration tests that these checks use (this binary uses
// a few of them).
#[allow(dead_code)]
#[path = "../it/support/mnist.rs"]
mod mnist;
#[allow(dead_code)]
#[path = "../it/support/pictures.rs"]
mod pictures;

mod support {
    pub use super::mnist::learnable_mnist;
    pub use super::pictures::patterned_images;
}

type Check = (&'static str, fn());

const CHECKS: [Check; 3] = [
    (
        "first_use::the_pool_started_by_the_guard_gets_the_callers_earlier_mode_back",
        first_use::the_pool_started_by_the_guard_gets_the_callers_earlier_mode_back,
    ),
    (
        "during_training::every_thread_flushes_while_training_and_none_after",
        during_training::every_thread_flushes_while_training_and_none_after,
    ),
    (
        "during_training::no_optimizer_moment_is_subnormal_after_many_zero_gradients",
        during_training::no_optimizer_moment_is_subnormal_after_many_zero_gradients,
    ),
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        for (name, _) in CHECKS {
            println!("{name}: test");
        }
        return;
    }
    let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let chosen: Vec<&Check> = CHECKS
        .iter()
        .filter(|(name, _)| filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str())))
        .collect();
    if !lenet::subnormals::SUPPORTED {
        for (name, _) in chosen {
            println!("SKIPPED {name}: this CPU architecture has no flush-to-zero mode");
        }
        return;
    }
    for (name, check) in &chosen {
        println!("test {name} ...");
        check();
        println!("test {name} ... ok");
    }
    println!("\ntest result: ok. {} passed", chosen.len());
}
