fn main() -> std::process::ExitCode {
    kaiji::cli::run()
}
