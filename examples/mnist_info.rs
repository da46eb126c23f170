//! What is in the MNIST files: split sizes, digits per class, pixel statistics,
//! and a picture of the first 100 training digits.
//!
//! cargo run --release --example mnist_info -- --data-dir ../shared/data/mnist --out /tmp/x

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use lenet::data::{MnistSplit, NUM_CLASSES};

mod common;

#[derive(Debug, Parser)]
#[command(about = "Statistics and a picture of the MNIST data set")]
struct Cli {
    #[command(flatten)]
    data: common::DataArgs,
    /// Directory for mnist_first100.png.
    #[arg(long, value_name = "DIR", default_value = "out")]
    out: PathBuf,
}

fn main() -> ExitCode {
    common::finish(run(Cli::parse()))
}

fn run(cli: Cli) -> lenet::Result<()> {
    let mnist = cli.data.load()?;
    println!("MNIST in {}", cli.data.dir().display());
    println!();
    print!("{:<7}{:>8} |", "split", "images");
    for digit in 0..NUM_CLASSES {
        print!("{digit:>6}");
    }
    println!();
    for split in [&mnist.train, &mnist.test] {
        print_counts(split);
    }
    println!();
    let stats = mnist.train.pixel_stats();
    println!(
        "train pixels (value/255): mean {:.4}, std {:.4}",
        stats.mean, stats.std
    );
    let stats = mnist.test.pixel_stats();
    println!(
        "test pixels (value/255):  mean {:.4}, std {:.4}",
        stats.mean, stats.std
    );

    common::create_out_dir(&cli.out)?;
    let count = mnist.train.len().min(100);
    let images: Vec<&[u8]> = (0..count).map(|i| mnist.train.image(i)).collect();
    let captions: Vec<String> = (0..count)
        .map(|i| mnist.train.label(i).to_string())
        .collect();
    let sheet = lenet::viz::digit_grid(&images, &captions, 10, 3);
    let path = cli.out.join("mnist_first100.png");
    lenet::viz::save_png(&sheet, &path)?;
    println!("\nwrote {} (first {count} training digits)", path.display());
    Ok(())
}

fn print_counts(split: &MnistSplit) {
    print!("{:<7}{:>8} |", split.split().name(), split.len());
    for count in split.class_counts() {
        print!("{count:>6}");
    }
    println!();
}
