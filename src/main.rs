use std::process::ExitCode;

// jemalloc, whose background threads hand freed pages back to the system a few seconds after a burst
// of traffic; glibc's malloc kept 2 to 4 MB of a hostile burst for good (BENCHMARKS.md, soak).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    // Without its own threads jemalloc returns pages only when the process allocates again, and an
    // idle server does not.
    if let Err(e) = tikv_jemalloc_ctl::background_thread::write(true) {
        eprintln!("kaiji: jemalloc background purging is off: {e}");
    }
    kaiji::cli::run()
}
