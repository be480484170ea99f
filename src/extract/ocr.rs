//! OCR of scanned PDF pages with the system's programs: poppler's `pdftoppm` renders one page
//! to a PNG, `tesseract` reads it. Each run has a time limit and is killed past it.

use std::ffi::OsStr;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use wait_timeout::ChildExt;

use super::text::{join_cjk, normalise, whole_seconds};
use super::{OcrAvailability, OcrEngine};

/// English for the councils' own words, Simplified Chinese for the partner cities'.
pub(crate) const LANGUAGES: &[&str] = &["eng", "chi_sim"];
/// What to install when OCR is missing, worded for a person.
pub(crate) const PACKAGES: &str = "tesseract-ocr, tesseract-ocr-chi-sim, poppler-utils";
/// Rendering resolution: tesseract is trained on text of about 300 dpi.
const DPI: &str = "300";

/// `probe_ocr` with the directories of `path` (a PATH-style list) instead of the process's
/// PATH; `None` finds nothing.
pub fn probe_ocr_in(path: Option<&OsStr>) -> (Option<OcrEngine>, OcrAvailability) {
    let pdftoppm = find_program(path, "pdftoppm");
    let tesseract = find_program(path, "tesseract");
    let mut missing = Vec::new();
    if pdftoppm.is_none() {
        missing.push("pdftoppm (poppler-utils)".to_string());
    }
    if let Some(t) = &tesseract {
        match list_languages(t) {
            Ok(have) => {
                for lang in LANGUAGES {
                    if !have.iter().any(|h| h == lang) {
                        missing.push(format!(
                            "tesseract's {} data ({})",
                            lang_name(lang),
                            package(lang)
                        ));
                    }
                }
            }
            Err(e) => missing.push(format!("a working tesseract ({e})")),
        }
    } else {
        missing.push("tesseract (tesseract-ocr)".to_string());
    }
    match (pdftoppm, tesseract) {
        (Some(pdftoppm), Some(tesseract)) if missing.is_empty() => {
            let languages = LANGUAGES.join("+");
            (
                Some(OcrEngine {
                    pdftoppm,
                    tesseract,
                    languages: languages.clone(),
                }),
                OcrAvailability::Ready { languages },
            )
        }
        _ => (
            None,
            OcrAvailability::Missing {
                reason: format!(
                    "OCR is not installed: missing {}; install the Debian packages {PACKAGES} (scripts/install-deps.sh does)",
                    missing.join(", ")
                ),
            },
        ),
    }
}

fn lang_name(lang: &str) -> &'static str {
    match lang {
        "eng" => "English",
        "chi_sim" => "Simplified Chinese",
        _ => "language",
    }
}

fn package(lang: &str) -> String {
    format!("tesseract-ocr-{}", lang.replace('_', "-"))
}

fn find_program(path: Option<&OsStr>, name: &str) -> Option<PathBuf> {
    std::env::split_paths(path?)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// `tesseract --list-langs`: a heading line, then one language per line. Tesseract 3 wrote
/// the list to stderr, later versions to stdout, so both are read.
fn list_languages(tesseract: &Path) -> Result<Vec<String>, String> {
    let dir = tempfile::tempdir().map_err(|e| format!("no temporary directory: {e}"))?;
    let out = dir.path().join("langs.txt");
    let err = dir.path().join("langs.err");
    let mut cmd = Command::new(tesseract);
    cmd.arg("--list-langs");
    run(
        &mut cmd,
        "tesseract",
        Duration::from_secs(20),
        Some(&out),
        &err,
    )?;
    let mut listing = std::fs::read_to_string(&out).unwrap_or_default();
    listing.push('\n');
    listing.push_str(&std::fs::read_to_string(&err).unwrap_or_default());
    Ok(listing
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.contains(' '))
        .map(str::to_string)
        .collect())
}

/// Renders page `page` of the PDF at `pdf` and reads it, within `timeout` for both steps.
/// `scratch` is a directory the caller removes.
/// The text layer of one page as poppler's `pdftotext` (beside `pdftoppm`, from the same
/// package) reads it: it follows text operators pdf-extract does not.
pub(crate) fn poppler_text(
    engine: &OcrEngine,
    pdf: &Path,
    page: u32,
    scratch: &Path,
    timeout: Duration,
) -> Result<String, String> {
    let program = engine.pdftoppm.with_file_name("pdftotext");
    if !is_executable(&program) {
        return Err(format!("{} is not there", program.display()));
    }
    let n = page.to_string();
    let out = scratch.join(format!("page-{page}.layer.txt"));
    let err = scratch.join(format!("page-{page}.pdftotext.err"));
    let mut cmd = Command::new(&program);
    cmd.args(["-enc", "UTF-8", "-f", &n, "-l", &n])
        .arg(pdf)
        .arg(&out);
    run(&mut cmd, "pdftotext", timeout, None, &err)?;
    let mut raw = Vec::new();
    File::open(&out)
        .and_then(|mut f| f.read_to_end(&mut raw))
        .map_err(|e| format!("could not read pdftotext's output: {e}"))?;
    let _ = std::fs::remove_file(&out);
    Ok(normalise(&join_cjk(&String::from_utf8_lossy(&raw))))
}

pub(crate) fn recognise_page(
    engine: &OcrEngine,
    pdf: &Path,
    page: u32,
    scratch: &Path,
    timeout: Duration,
) -> Result<String, String> {
    let started = std::time::Instant::now();
    let prefix = scratch.join(format!("page-{page}"));
    let n = page.to_string();
    let mut render = Command::new(&engine.pdftoppm);
    render
        .args([
            "-r",
            DPI,
            "-gray",
            "-png",
            "-singlefile",
            "-f",
            &n,
            "-l",
            &n,
        ])
        .arg(pdf)
        .arg(&prefix);
    let render_err = scratch.join(format!("page-{page}.pdftoppm.err"));
    run(&mut render, "pdftoppm", timeout, None, &render_err)?;
    let image = prefix.with_extension("png");
    if !image.is_file() {
        return Err("pdftoppm produced no image".into());
    }

    let left = timeout.saturating_sub(started.elapsed());
    let text_file = scratch.join(format!("page-{page}.txt"));
    let ocr_err = scratch.join(format!("page-{page}.tesseract.err"));
    let mut read = Command::new(&engine.tesseract);
    read.arg(&image)
        .arg("stdout")
        .args(["-l", &engine.languages, "--dpi", DPI]);
    let outcome = run(&mut read, "tesseract", left, Some(&text_file), &ocr_err);
    // Page images are tens of megabytes; do not keep them until the whole document is done.
    let _ = std::fs::remove_file(&image);
    outcome?;
    let mut raw = Vec::new();
    File::open(&text_file)
        .and_then(|mut f| f.read_to_end(&mut raw))
        .map_err(|e| format!("could not read tesseract's output: {e}"))?;
    Ok(normalise(&join_cjk(&String::from_utf8_lossy(&raw))))
}

/// Runs `cmd` with stdout to `stdout` (or nowhere) and stderr to `stderr_file`: files, not
/// pipes, so a chatty program can never block on a full pipe while we wait for it. Killed
/// when it runs past `timeout`.
fn run(
    cmd: &mut Command,
    program: &str,
    timeout: Duration,
    stdout: Option<&Path>,
    stderr_file: &Path,
) -> Result<(), String> {
    let out = match stdout {
        Some(p) => {
            Stdio::from(File::create(p).map_err(|e| format!("cannot write {}: {e}", p.display()))?)
        }
        None => Stdio::null(),
    };
    let err = File::create(stderr_file)
        .map_err(|e| format!("cannot write {}: {e}", stderr_file.display()))?;
    // One OCR thread per page: tesseract's own threading slows it down when several
    // documents are read at once, and gains little on one page.
    cmd.env("OMP_THREAD_LIMIT", "1")
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(Stdio::from(err));
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("could not start {program}: {e}"))?;
    match child.wait_timeout(timeout) {
        Ok(Some(status)) if status.success() => Ok(()),
        Ok(Some(status)) => {
            let said = std::fs::read_to_string(stderr_file).unwrap_or_default();
            let last = said
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("no message");
            Err(format!("{program} failed ({status}): {}", last.trim()))
        }
        Ok(None) => {
            let _ = child.kill();
            let _ = child.wait();
            Err(format!(
                "{program} took longer than {} s and was stopped",
                whole_seconds(timeout)
            ))
        }
        Err(e) => {
            let _ = child.kill();
            let _ = child.wait();
            Err(format!("could not wait for {program}: {e}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;
    use std::sync::Mutex;

    /// Writing a script and running it while another test thread forks can fail with "text
    /// file busy" (the child briefly holds the script open for writing); these tests take
    /// turns.
    static SCRIPTS: Mutex<()> = Mutex::new(());

    fn fake_program(dir: &Path, name: &str, script: &str) {
        let p = dir.join(name);
        std::fs::write(&p, format!("#!/bin/sh\n{script}\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    #[test]
    fn nothing_on_the_path_names_every_package() {
        let dir = tempfile::tempdir().unwrap();
        let (engine, availability) = probe_ocr_in(Some(dir.path().as_os_str()));
        assert!(engine.is_none());
        let OcrAvailability::Missing { reason } = availability else {
            panic!("expected Missing");
        };
        assert!(reason.contains("pdftoppm (poppler-utils)"), "{reason}");
        assert!(reason.contains("tesseract (tesseract-ocr)"), "{reason}");
        assert!(reason.contains(PACKAGES), "{reason}");
        assert!(probe_ocr_in(None).0.is_none());
    }

    #[test]
    fn missing_chinese_data_is_named() {
        let _turn = SCRIPTS.lock().unwrap_or_else(|e| e.into_inner());
        let dir = tempfile::tempdir().unwrap();
        fake_program(dir.path(), "pdftoppm", "exit 0");
        fake_program(
            dir.path(),
            "tesseract",
            "echo 'List of available languages in \"/x\" (2):'; echo eng; echo osd",
        );
        let (engine, availability) = probe_ocr_in(Some(dir.path().as_os_str()));
        assert!(engine.is_none());
        let OcrAvailability::Missing { reason } = availability else {
            panic!("expected Missing");
        };
        assert!(
            reason.contains("Simplified Chinese data (tesseract-ocr-chi-sim)"),
            "{reason}"
        );
        assert!(!reason.contains("English"), "{reason}");
    }

    #[test]
    fn both_programs_with_both_languages_are_ready() {
        let _turn = SCRIPTS.lock().unwrap_or_else(|e| e.into_inner());
        let dir = tempfile::tempdir().unwrap();
        fake_program(dir.path(), "pdftoppm", "exit 0");
        fake_program(
            dir.path(),
            "tesseract",
            "echo 'List of available languages in \"/x\" (3):' >&2; echo chi_sim >&2; echo eng >&2",
        );
        let (engine, availability) = probe_ocr_in(Some(dir.path().as_os_str()));
        assert_eq!(
            availability,
            OcrAvailability::Ready {
                languages: "eng+chi_sim".into()
            }
        );
        let engine = engine.unwrap();
        assert_eq!(engine.tesseract, dir.path().join("tesseract"));
    }

    #[test]
    fn a_program_past_its_time_is_killed() {
        let _turn = SCRIPTS.lock().unwrap_or_else(|e| e.into_inner());
        let dir = tempfile::tempdir().unwrap();
        fake_program(dir.path(), "slow", "exec sleep 30");
        let started = std::time::Instant::now();
        let mut cmd = Command::new(dir.path().join("slow"));
        let err = run(
            &mut cmd,
            "slow",
            Duration::from_millis(300),
            None,
            &dir.path().join("err"),
        )
        .unwrap_err();
        assert_eq!(err, "slow took longer than 0.3 s and was stopped");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn a_failing_program_reports_its_last_words() {
        let _turn = SCRIPTS.lock().unwrap_or_else(|e| e.into_inner());
        let dir = tempfile::tempdir().unwrap();
        fake_program(
            dir.path(),
            "bad",
            "echo 'Error: cannot open input file' >&2; exit 1",
        );
        let mut cmd = Command::new(dir.path().join("bad"));
        let err = run(
            &mut cmd,
            "bad",
            Duration::from_secs(10),
            None,
            &dir.path().join("err"),
        )
        .unwrap_err();
        assert!(err.contains("cannot open input file"), "{err}");
    }
}
