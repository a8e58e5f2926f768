//! Identity documents and scans at rest: XChaCha20-Poly1305 under the document key, a random 192-bit
//! nonce per file, and the file's id and request bound in as associated data, so a ciphertext moved to
//! another row does not decrypt.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

use super::tokens::random_bytes;

pub struct Sealed {
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the stored file cannot be decrypted (wrong key, or the data was altered)")]
pub struct OpenError;

fn cipher(key: &[u8]) -> XChaCha20Poly1305 {
    XChaCha20Poly1305::new_from_slice(key)
        .expect("the document key is 32 bytes (checked at start-up)")
}

pub fn seal(key: &[u8], aad: &[u8], plaintext: &[u8]) -> Sealed {
    let nonce = random_bytes::<24>();
    let ciphertext = cipher(key)
        .encrypt(
            &XNonce::from(nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .expect("encryption with a valid key cannot fail");
    Sealed {
        nonce: nonce.to_vec(),
        ciphertext,
    }
}

pub fn open(key: &[u8], aad: &[u8], sealed: &Sealed) -> Result<Vec<u8>, OpenError> {
    let nonce = XNonce::try_from(sealed.nonce.as_slice()).map_err(|_| OpenError)?;
    cipher(key)
        .decrypt(
            &nonce,
            Payload {
                msg: &sealed.ciphertext,
                aad,
            },
        )
        .map_err(|_| OpenError)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper_detection() {
        let key = random_bytes::<32>();
        let s = seal(&key, b"file-1", b"%PDF-1.7 secret");
        assert!(
            !s.ciphertext.windows(6).any(|w| w == b"secret"),
            "not stored in the clear"
        );
        assert_eq!(open(&key, b"file-1", &s).unwrap(), b"%PDF-1.7 secret");
        assert_eq!(
            open(&key, b"file-2", &s),
            Err(OpenError),
            "bound to its row"
        );
        assert_eq!(open(&random_bytes::<32>(), b"file-1", &s), Err(OpenError));
        let mut bad = Sealed {
            nonce: s.nonce.clone(),
            ciphertext: s.ciphertext.clone(),
        };
        bad.ciphertext[0] ^= 1;
        assert_eq!(open(&key, b"file-1", &bad), Err(OpenError));
        let again = seal(&key, b"file-1", b"%PDF-1.7 secret");
        assert_ne!(again.nonce, s.nonce, "a fresh nonce each time");
    }
}
