//! A small SMTP server on loopback for the tests: it speaks just enough of RFC 5321 for lettre
//! (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT), keeps every message it accepts, and can be stopped
//! and started again on the same port to play a mail server that is down, answer each message after
//! a delay to play a slow one, or refuse every recipient as unknown, quoting the address as real servers
//! do.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// A message as the server received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    /// Headers and body, as sent (dot-stuffing undone).
    pub data: String,
}

impl Received {
    /// The value of a header (first occurrence, unfolded).
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next()?;
        let mut value: Option<String> = None;
        for line in head.split("\r\n") {
            if let Some(v) = value.as_mut() {
                if line.starts_with(' ') || line.starts_with('\t') {
                    v.push_str(line.trim_start());
                    continue;
                }
                break;
            }
            if let Some((k, v)) = line.split_once(':')
                && k.eq_ignore_ascii_case(name)
            {
                value = Some(v.trim().to_owned());
            }
        }
        value
    }

    /// The text of the message with quoted-printable and base64 parts decoded, for reading.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for part in self.data.split("\r\n\r\n").skip(1) {
            let body = part.split("\r\n--").next().unwrap_or(part);
            let compact: String = body.split("\r\n").collect();
            if let Ok(bytes) = base64_decode(&compact)
                && let Ok(s) = String::from_utf8(bytes)
            {
                out.push_str(&s);
                out.push('\n');
                continue;
            }
            out.push_str(&quoted_printable(body));
            out.push('\n');
        }
        out
    }
}

fn base64_decode(s: &str) -> Result<Vec<u8>, ()> {
    use base64::Engine;
    if s.is_empty()
        || !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b))
    {
        return Err(());
    }
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|_| ())
}

fn quoted_printable(s: &str) -> String {
    let joined = s.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// How long the server takes to accept the n-th message to arrive (from 0).
pub type Delay = Arc<dyn Fn(usize) -> Duration + Send + Sync>;

/// How the server answers, shared by every session: the delay before accepting the n-th message, the
/// count of messages arrived so far, and whether every recipient is refused.
#[derive(Clone)]
struct Pace {
    delay: Delay,
    arrived: Arc<AtomicUsize>,
    refuse_recipients: bool,
}

pub struct SmtpServer {
    pub port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    pace: Pace,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl SmtpServer {
    /// Starts on a free loopback port.
    pub fn start() -> Self {
        Self::start_slow(Arc::new(|_| Duration::ZERO))
    }

    /// Starts on a free loopback port; accepts the n-th message after `delay(n)`.
    pub fn start_slow(delay: Delay) -> Self {
        Self::start_with(delay, false)
    }

    /// Starts on a free loopback port; refuses every recipient as a mailbox that does not exist, with a
    /// permanent 550 that quotes the address (as Postfix does).
    pub fn start_refusing() -> Self {
        Self::start_with(Arc::new(|_| Duration::ZERO), true)
    }

    fn start_with(delay: Delay, refuse_recipients: bool) -> Self {
        let pace = Pace {
            delay,
            arrived: Arc::new(AtomicUsize::new(0)),
            refuse_recipients,
        };
        Self::start_on(0, Arc::new(Mutex::new(Vec::new())), pace)
    }

    fn start_on(port: u16, received: Arc<Mutex<Vec<Received>>>, pace: Pace) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind the test SMTP server");
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let (s, r, d) = (stop.clone(), received.clone(), pace.clone());
        let thread = std::thread::spawn(move || {
            // Sessions are joined before the server stops, so that no thread outlives a test.
            let mut sessions = Vec::new();
            while !s.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        stream.set_nonblocking(false).unwrap();
                        let (r, d) = (r.clone(), d.clone());
                        sessions.push(std::thread::spawn(move || {
                            let _ = session(stream, &r, &d);
                        }));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
            for t in sessions {
                let _ = t.join();
            }
        });
        Self {
            port,
            received,
            pace,
            stop,
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Stops listening: connections are refused until [`SmtpServer::restart`].
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
    }

    /// Listens again on the same port, keeping what was received.
    pub fn restart(&mut self) {
        self.stop();
        *self = Self::start_on(self.port, self.received.clone(), self.pace.clone());
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn session(stream: TcpStream, received: &Mutex<Vec<Received>>, pace: &Pace) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    let mut out = stream.try_clone()?;
    let mut lines = BufReader::new(stream);
    out.write_all(b"220 kaiji-test ESMTP\r\n")?;
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let cmd = line.trim_end().to_owned();
        let upper = cmd.to_ascii_uppercase();
        if upper.starts_with("EHLO") {
            out.write_all(b"250-kaiji-test\r\n250 8BITMIME\r\n")?;
        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
            out.write_all(b"250 OK\r\n")?;
        } else if upper.starts_with("MAIL FROM:") {
            from = cmd[10..].trim().to_owned();
            to.clear();
            out.write_all(b"250 OK\r\n")?;
        } else if upper.starts_with("RCPT TO:") {
            let rcpt = cmd[8..].trim().to_owned();
            if pace.refuse_recipients {
                let refusal = format!(
                    "550 5.1.1 {rcpt}: Recipient address rejected: User unknown in virtual mailbox table\r\n"
                );
                out.write_all(refusal.as_bytes())?;
                continue;
            }
            to.push(rcpt);
            out.write_all(b"250 OK\r\n")?;
        } else if upper == "DATA" {
            out.write_all(b"354 go ahead\r\n")?;
            let mut data = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line)? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                let l = line.strip_prefix('.').unwrap_or(&line);
                data.push_str(l);
            }
            // Counted on arrival; kept once accepted (a client that gave up never hears the 250).
            std::thread::sleep((pace.delay)(pace.arrived.fetch_add(1, Ordering::SeqCst)));
            received.lock().unwrap().push(Received {
                from: from.clone(),
                to: to.clone(),
                data,
            });
            out.write_all(b"250 OK queued\r\n")?;
        } else if upper.starts_with("RSET") {
            out.write_all(b"250 OK\r\n")?;
        } else if upper.starts_with("QUIT") {
            out.write_all(b"221 bye\r\n")?;
            return Ok(());
        } else {
            out.write_all(b"502 not implemented\r\n")?;
        }
    }
}
