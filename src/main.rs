use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    // `foi requests list | head` should end quietly, as other Unix tools do, rather than
    // panic on a closed pipe. Sockets are unaffected: Rust writes to them with MSG_NOSIGNAL.
    // SAFETY: called first thing, before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    // clap exits with 2 on misuse by itself; everything else that fails is an error (1).
    let cli = foi::cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(foi::cli::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            if e.downcast_ref::<foi::cli::TempFail>().is_some() {
                return ExitCode::from(75);
            }
            for cause in e.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            // SQLite lets one writer in at a time; the other gets this after its wait.
            if e.chain()
                .any(|c| c.to_string().contains("database is locked"))
            {
                eprintln!("  another foi command (or the daemon) was writing to the database at the same moment; nothing was changed by this one: run it again");
            }
            ExitCode::from(1)
        }
    }
}
