//! Passwords and session tokens.
//!
//! Passwords: Argon2id with parameters fixed here (OWASP's 19 MiB, t=2, p=1
//! baseline), not the library's defaults, so an upgrade never silently
//! changes them. Session tokens: 256 random bits, shown once; only their
//! SHA-256 is stored, so a database leak does not leak live sessions.

use argon2::password_hash::{PasswordHash, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngCore;
use sha2::{Digest, Sha256};

pub const ARGON2_MEMORY_KIB: u32 = 19 * 1024;
pub const ARGON2_ITERATIONS: u32 = 2;
pub const ARGON2_PARALLELISM: u32 = 1;
pub const MIN_PASSWORD_CHARS: usize = 12;
pub const MAX_PASSWORD_BYTES: usize = 1_024;

fn argon2() -> Argon2<'static> {
    let params = Params::new(
        ARGON2_MEMORY_KIB,
        ARGON2_ITERATIONS,
        ARGON2_PARALLELISM,
        None,
    )
    .expect("static Argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

thread_local! {
    /// This thread's Argon2 working memory, kept between hashes: allocating
    /// 19 MiB per hash left the allocator holding ever more of it.
    static BLOCKS: std::cell::RefCell<Vec<argon2::Block>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Argon2id of `password` with `salt` under `params`, in this thread's
/// reused working memory.
fn raw_hash(params: &Params, password: &[u8], salt: &[u8]) -> Result<Vec<u8>, String> {
    let hasher = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut out = vec![0_u8; params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN)];
    BLOCKS.with(|blocks| {
        let mut blocks = blocks.borrow_mut();
        let needed = params.block_count();
        if blocks.len() < needed {
            blocks.resize(needed, argon2::Block::default());
        }
        hasher
            .hash_password_into_with_memory(password, salt, &mut out, &mut blocks[..needed])
            .map_err(|e| e.to_string())
    })?;
    Ok(out)
}

pub fn hash_password(password: &str) -> Result<String, String> {
    let mut salt_bytes = [0_u8; 16];
    rand::rng().fill_bytes(&mut salt_bytes);
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| e.to_string())?;
    let params = argon2().params().clone();
    let output = raw_hash(&params, password.as_bytes(), &salt_bytes)?;
    let output = argon2::password_hash::Output::new(&output).map_err(|e| e.to_string())?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: params
            .try_into()
            .map_err(|e: argon2::password_hash::Error| e.to_string())?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(phc.to_string())
}

pub fn verify_password(password: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    if parsed.algorithm != Algorithm::Argon2id.ident() {
        return argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
    }
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    let mut salt_buf = [0_u8; 64];
    let Ok(salt_bytes) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let Ok(params) = Params::new(
        params.m_cost(),
        params.t_cost(),
        params.p_cost(),
        Some(expected.len()),
    ) else {
        return false;
    };
    match raw_hash(&params, password.as_bytes(), salt_bytes) {
        // `Output`'s equality is constant-time.
        Ok(actual) => argon2::password_hash::Output::new(&actual).is_ok_and(|a| a == expected),
        Err(_) => false,
    }
}

/// At most this many Argon2 computations run at once. Each takes 19 MiB;
/// without a bound a flood of logins would exhaust memory. Excess requests
/// wait their turn (rate limits per IP and account come on top).
pub const MAX_CONCURRENT_HASHES: usize = 4;

type HashJob = Box<dyn FnOnce() + Send>;

/// A fixed pool of hashing threads. Each thread's allocator keeps and
/// reuses the 19 MiB it freed last time, so memory stays at about
/// `MAX_CONCURRENT_HASHES` × 19 MiB however many logins arrive; on the
/// shared blocking pool every new thread would keep its own copy.
fn hashing_pool() -> &'static std::sync::mpsc::SyncSender<HashJob> {
    static POOL: std::sync::OnceLock<std::sync::mpsc::SyncSender<HashJob>> =
        std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        let (jobs, queue) = std::sync::mpsc::sync_channel::<HashJob>(1_024);
        let queue = std::sync::Arc::new(std::sync::Mutex::new(queue));
        for n in 0..MAX_CONCURRENT_HASHES {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("haven-argon2-{n}"))
                .spawn(move || {
                    loop {
                        let job = queue.lock().map(|q| q.recv());
                        match job {
                            Ok(Ok(job)) => job(),
                            _ => return,
                        }
                    }
                })
                .expect("hashing threads start");
        }
        jobs
    })
}

/// Run a password hash or check on the hashing pool, off the async threads.
pub async fn with_hashing_slot<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, String> {
    let (reply, answer) = tokio::sync::oneshot::channel();
    let job: HashJob = Box::new(move || {
        let _ = reply.send(work());
    });
    // Back-pressure: a full queue waits on a blocking thread, not here.
    let pool = hashing_pool().clone();
    tokio::task::spawn_blocking(move || pool.send(job))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|_| "the hashing pool stopped".to_string())?;
    answer
        .await
        .map_err(|_| "a hashing job was dropped".to_string())
}

/// A hash to verify against when the account does not exist, so a login for
/// an unknown email takes as long as one for a known email.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy-password-never-used").expect("hashing works"))
}

/// The weakest zxcvbn score accepted (0-4): "safely unguessable".
pub const MIN_ZXCVBN_SCORE: u8 = 3;

/// At least 12 characters and a zxcvbn score of 3 or more, judged with the
/// user's own email and name as known words. The error carries zxcvbn's
/// advice, so the person learns how to fix it.
pub fn check_password_policy(password: &str, user_inputs: &[&str]) -> Result<(), String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(format!(
            "password must be at least {MIN_PASSWORD_CHARS} characters"
        ));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(format!(
            "password must be at most {MAX_PASSWORD_BYTES} bytes"
        ));
    }
    let estimate = zxcvbn::zxcvbn(password, user_inputs);
    if (estimate.score() as u8) < MIN_ZXCVBN_SCORE {
        let advice = estimate
            .feedback()
            .map(|f| {
                let mut parts: Vec<String> =
                    f.warning().map(|w| w.to_string()).into_iter().collect();
                parts.extend(f.suggestions().iter().map(ToString::to_string));
                parts.join(" ")
            })
            .filter(|a| !a.is_empty())
            .unwrap_or_else(|| "Add more words or characters that are hard to guess.".into());
        return Err(format!("this password is too easy to guess. {advice}"));
    }
    Ok(())
}

/// True when a stored hash was made with other Argon2 parameters than
/// today's: it is replaced at the next successful login.
pub fn needs_rehash(phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return true;
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return true;
    };
    parsed.algorithm.as_str() != "argon2id"
        || params.m_cost() != ARGON2_MEMORY_KIB
        || params.t_cost() != ARGON2_ITERATIONS
        || params.p_cost() != ARGON2_PARALLELISM
}

/// TOTP per RFC 6238: SHA-1, 6 digits, 30-second steps, one step of drift
/// either way. A code is accepted once: its step must be newer than the last
/// one used.
pub const TOTP_STEP_S: u64 = 30;

fn totp_for(secret_base32: &str, account: &str) -> Option<totp_rs::Totp> {
    let secret = totp_rs::Secret::try_from_base32(secret_base32).ok()?;
    totp_rs::Builder::new()
        .with_algorithm(totp_rs::Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(TOTP_STEP_S)
        .with_secret(secret)
        .with_issuer(Some("Haven"))
        .with_account_name(account)
        .build()
        .ok()
}

/// A fresh secret (160 bits, base32) for an authenticator app.
pub fn new_totp_secret() -> String {
    let mut bytes = [0_u8; 20];
    rand::rng().fill_bytes(&mut bytes);
    totp_rs::Secret::from(bytes).to_base32()
}

/// The `otpauth://` URL an authenticator app scans.
pub fn totp_url(secret_base32: &str, account: &str) -> Option<String> {
    totp_for(secret_base32, account)?.to_url().ok()
}

/// The step a correct `code` belongs to, if it is valid at `now_s` and newer
/// than `last_used_step`.
pub fn verify_totp(
    secret_base32: &str,
    code: &str,
    now_s: u64,
    last_used_step: i64,
) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let totp = totp_for(secret_base32, "account")?;
    let current = (now_s / TOTP_STEP_S) as i64;
    for step in [current - 1, current, current + 1] {
        if step <= last_used_step || step < 0 {
            continue;
        }
        let expected = totp.generate(step as u64 * TOTP_STEP_S);
        if constant_time_eq(expected.to_string().as_bytes(), code.as_bytes()) {
            return Some(step);
        }
    }
    None
}

/// The code an authenticator shows at `now_s` (used by tests and the demo).
pub fn totp_code(secret_base32: &str, now_s: u64) -> Option<String> {
    Some(
        totp_for(secret_base32, "account")?
            .generate(now_s)
            .to_string(),
    )
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0_u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub const RECOVERY_CODES: usize = 10;

/// Ten single-use recovery codes (`xxxx-xxxx-xxxx`), and the hashes to store.
pub fn new_recovery_codes() -> (Vec<String>, Vec<String>) {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rng();
    let codes: Vec<String> = (0..RECOVERY_CODES)
        .map(|_| {
            let chars: String = (0..12)
                .map(|_| ALPHABET[(rng.next_u32() as usize) % ALPHABET.len()] as char)
                .collect();
            format!("{}-{}-{}", &chars[..4], &chars[4..8], &chars[8..])
        })
        .collect();
    let hashes = codes
        .iter()
        .map(|c| token_hash(&normalize_recovery_code(c)))
        .collect();
    (codes, hashes)
}

pub fn normalize_recovery_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .flat_map(|c| c.to_lowercase())
        .collect()
}

/// A device's fingerprint for new-device notices: its browser/client string.
pub fn device_fingerprint(user_agent: &str) -> String {
    token_hash(&user_agent.chars().take(256).collect::<String>())[..16].to_string()
}

/// A new random token (hex) and the hash under which it is stored.
pub fn new_token() -> (String, String) {
    let mut bytes = [0_u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let hash = token_hash(&token);
    (token, hash)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2id_round_trip_with_explicit_params() {
        let hash = hash_password("correct horse battery staple").unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_password("correct horse battery staple", &hash));
        assert!(!verify_password("wrong horse battery staple", &hash));
        assert!(!verify_password("anything", "not a phc string"));
    }

    #[test]
    fn weak_passwords_are_refused_with_advice() {
        assert!(
            check_password_policy("short", &[])
                .unwrap_err()
                .contains("12 characters")
        );
        let weak = check_password_policy("password1234", &[]).unwrap_err();
        assert!(weak.contains("too easy to guess"), "{weak}");
        assert!(
            check_password_policy("ada.lovelace@example.com", &["ada.lovelace@example.com"])
                .is_err(),
            "the email itself is guessable"
        );
        assert!(check_password_policy("violet anchor drums quietly 42", &[]).is_ok());
        // The passwords the tests and the demo use must pass the policy too.
        assert!(check_password_policy("a long enough passphrase", &["Ada"]).is_ok());
        assert!(check_password_policy("haven-demo-password", &[]).is_ok());
    }

    #[test]
    fn rehash_is_needed_only_for_other_parameters() {
        let current = hash_password("correct horse battery staple").unwrap();
        assert!(!needs_rehash(&current));
        let older = current.replace("m=19456,t=2,p=1", "m=4096,t=3,p=1");
        assert!(needs_rehash(&older));
        assert!(needs_rehash("garbage"));
    }

    #[test]
    fn totp_codes_work_once_within_a_step_of_drift() {
        let secret = new_totp_secret();
        let now = 1_800_000_000_u64;
        let code = totp_code(&secret, now).unwrap();
        let step = verify_totp(&secret, &code, now, 0).expect("valid now");
        assert_eq!(verify_totp(&secret, &code, now, step), None, "never twice");
        assert!(
            verify_totp(&secret, &code, now + 30, 0).is_some(),
            "one step late is fine"
        );
        assert_eq!(
            verify_totp(&secret, &code, now + 90, 0),
            None,
            "three steps late is not"
        );
        assert_eq!(verify_totp(&secret, "12345", now, 0), None);
        assert!(
            totp_url(&secret, "ada@example.com")
                .unwrap()
                .starts_with("otpauth://totp/")
        );
    }

    #[test]
    fn recovery_codes_are_ten_distinct_and_hashed() {
        let (codes, hashes) = new_recovery_codes();
        assert_eq!(codes.len(), 10);
        assert_eq!(
            codes.iter().collect::<std::collections::HashSet<_>>().len(),
            10
        );
        assert_eq!(
            hashes[0],
            token_hash(&normalize_recovery_code(&codes[0].to_uppercase()))
        );
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, hash_a) = new_token();
        let (b, _) = new_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(token_hash(&a), hash_a);
        assert_ne!(a, hash_a);
    }
}

#[cfg(test)]
mod argon2_tests {
    use super::*;

    #[test]
    fn hashes_verify_and_wrong_passwords_do_not() {
        let phc = hash_password("correct horse battery staple").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify_password("correct horse battery staple", &phc));
        assert!(!verify_password("correct horse battery stapler", &phc));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn hashes_made_by_the_library_with_other_parameters_still_verify() {
        let params = Params::new(8 * 1024, 1, 1, None).unwrap();
        let other = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let salt = SaltString::encode_b64(b"0123456789abcdef").unwrap();
        let phc = argon2::PasswordHasher::hash_password(&other, b"old password", &salt)
            .unwrap()
            .to_string();
        assert!(verify_password("old password", &phc));
        assert!(!verify_password("old passwort", &phc));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn hashing_memory_is_reused_not_piled_up() {
        let rss_kib = || {
            std::fs::read_to_string("/proc/self/status")
                .ok()
                .and_then(|s| {
                    s.lines()
                        .find(|l| l.starts_with("VmRSS:"))
                        .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
                })
                .unwrap_or(0)
        };
        for _ in 0..8 {
            with_hashing_slot(|| hash_password("warm up the pool"))
                .await
                .unwrap()
                .unwrap();
        }
        let warm = rss_kib();
        for _ in 0..32 {
            with_hashing_slot(|| hash_password("a burst of logins"))
                .await
                .unwrap()
                .unwrap();
        }
        let grown_mib = rss_kib().saturating_sub(warm) / 1_024;
        assert!(
            grown_mib < 40,
            "32 more hashes grew memory by {grown_mib} MiB"
        );
    }
}
