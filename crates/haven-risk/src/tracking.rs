//! Tracking-number provenance.
//!
//! A fake seller "ships" with a number that is malformed, already used on
//! another order, or was handed to the carrier before the buyer paid (a
//! parcel sent to someone else). Each of those is refused at ship time.

use haven_domain::Timestamp;
use haven_domain::ids::OrderId;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Carrier {
    /// Haven's built-in simulated carrier, used by the demo and the tests.
    SimPost,
    Ups,
    Usps,
    Fedex,
    Dhl,
}

impl Carrier {
    pub const ALL: [Carrier; 5] = [
        Carrier::SimPost,
        Carrier::Ups,
        Carrier::Usps,
        Carrier::Fedex,
        Carrier::Dhl,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Carrier::SimPost => "simpost",
            Carrier::Ups => "ups",
            Carrier::Usps => "usps",
            Carrier::Fedex => "fedex",
            Carrier::Dhl => "dhl",
        }
    }

    pub fn display_name(&self) -> &'static str {
        match self {
            Carrier::SimPost => "Haven SimPost (simulated)",
            Carrier::Ups => "UPS",
            Carrier::Usps => "USPS",
            Carrier::Fedex => "FedEx",
            Carrier::Dhl => "DHL Express",
        }
    }

    pub fn parse(raw: &str) -> Option<Carrier> {
        Carrier::ALL.into_iter().find(|c| c.as_str() == raw)
    }

    /// Human description of the accepted format, used in error messages.
    pub fn format_hint(&self) -> &'static str {
        match self {
            Carrier::SimPost => {
                "UPU S10: two letters, 8 digits, a check digit, two letters (e.g. RR123456785HV)"
            }
            Carrier::Ups => "1Z followed by 16 letters or digits",
            Carrier::Usps => "20-22 digits, or UPU S10 ending in US",
            Carrier::Fedex => "12 or 15 digits",
            Carrier::Dhl => "10 digits",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrackingRejection {
    #[error("unknown carrier")]
    UnknownCarrier,
    #[error("tracking number does not match {carrier}'s format: {hint}")]
    BadFormat {
        carrier: &'static str,
        hint: &'static str,
    },
    #[error("tracking number is already used on another order")]
    AlreadyUsed,
    #[error("the carrier accepted this parcel before the order was paid")]
    PreDated,
}

/// Upper-case and drop the spaces and dashes people paste in.
pub fn normalize(number: &str) -> String {
    number
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .take(64)
        .collect()
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// The UPU S10 check digit over 8 serial digits.
pub fn s10_check_digit(serial: &[u8; 8]) -> u8 {
    const WEIGHTS: [u32; 8] = [8, 6, 4, 2, 3, 5, 9, 7];
    let sum: u32 = serial
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(*d) * w)
        .sum();
    match 11 - (sum % 11) {
        10 => 0,
        11 => 5,
        digit => digit as u8,
    }
}

fn is_s10(number: &str, country: Option<&str>) -> bool {
    let bytes = number.as_bytes();
    if bytes.len() != 13
        || !bytes[..2].iter().all(u8::is_ascii_uppercase)
        || !bytes[11..].iter().all(u8::is_ascii_uppercase)
    {
        return false;
    }
    if !all_digits(&number[2..11]) || country.is_some_and(|c| &number[11..] != c) {
        return false;
    }
    let mut serial = [0_u8; 8];
    for (slot, b) in serial.iter_mut().zip(&bytes[2..10]) {
        *slot = b - b'0';
    }
    s10_check_digit(&serial) == bytes[10] - b'0'
}

/// Check a (normalised) number against the carrier's format.
pub fn check_format(carrier: Carrier, number: &str) -> Result<(), TrackingRejection> {
    let ok = match carrier {
        Carrier::SimPost => is_s10(number, None),
        Carrier::Ups => {
            number.len() == 18
                && number.starts_with("1Z")
                && number[2..].bytes().all(|b| b.is_ascii_alphanumeric())
        }
        Carrier::Usps => {
            (all_digits(number) && (20..=22).contains(&number.len())) || is_s10(number, Some("US"))
        }
        Carrier::Fedex => all_digits(number) && (number.len() == 12 || number.len() == 15),
        Carrier::Dhl => all_digits(number) && number.len() == 10,
    };
    if ok {
        Ok(())
    } else {
        Err(TrackingRejection::BadFormat {
            carrier: carrier.as_str(),
            hint: carrier.format_hint(),
        })
    }
}

/// What is known about a number when a seller tries to ship with it.
#[derive(Debug, Clone, Copy)]
pub struct ProvenanceFacts {
    pub order_id: OrderId,
    pub order_paid_at: Timestamp,
    /// The order that already owns this number, if any.
    pub owner: Option<OrderId>,
    /// The earliest carrier scan seen for this number, if any.
    pub first_scan_at: Option<Timestamp>,
}

pub fn check_provenance(
    carrier: Carrier,
    number: &str,
    facts: ProvenanceFacts,
) -> Result<(), TrackingRejection> {
    check_format(carrier, number)?;
    if facts.owner.is_some_and(|owner| owner != facts.order_id) {
        return Err(TrackingRejection::AlreadyUsed);
    }
    if facts
        .first_scan_at
        .is_some_and(|first| first < facts.order_paid_at)
    {
        return Err(TrackingRejection::PreDated);
    }
    Ok(())
}

/// Make a valid SimPost number from a serial (used by the simulated carrier
/// and the demo to print labels).
pub fn simpost_number(serial: u32) -> String {
    let digits = format!("{:08}", serial % 100_000_000);
    let mut serial_digits = [0_u8; 8];
    for (slot, b) in serial_digits.iter_mut().zip(digits.bytes()) {
        *slot = b - b'0';
    }
    format!("SP{digits}{}HV", s10_check_digit(&serial_digits))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s10_check_digit_matches_upu_example() {
        // Worked example: serial 47312482 -> weighted sum 200, 200 mod 11 = 2, 11 - 2 = 9.
        assert_eq!(s10_check_digit(&[4, 7, 3, 1, 2, 4, 8, 2]), 9);
        assert!(check_format(Carrier::SimPost, "RR473124829HV").is_ok());
        assert!(
            check_format(Carrier::SimPost, "RR473124821HV").is_err(),
            "wrong check digit"
        );
    }

    #[test]
    fn formats_per_carrier() {
        assert!(check_format(Carrier::Ups, "1Z999AA10123456784").is_ok());
        assert!(check_format(Carrier::Ups, "1Z999AA1012345678").is_err());
        assert!(check_format(Carrier::Fedex, "123456789012").is_ok());
        assert!(check_format(Carrier::Fedex, "12345678901").is_err());
        assert!(check_format(Carrier::Dhl, "1234567890").is_ok());
        assert!(check_format(Carrier::Usps, "92612999897543581074").is_ok());
        assert!(
            check_format(Carrier::Usps, &simpost_number(5)).is_err(),
            "S10 must end in US for USPS"
        );
        for serial in [0, 1, 42, 99_999_999] {
            assert!(check_format(Carrier::SimPost, &simpost_number(serial)).is_ok());
        }
        assert_eq!(normalize(" sp-0000 0001 "), "SP00000001");
    }

    #[test]
    fn provenance_refuses_reuse_and_predating() {
        let paid = Timestamp::from_second(1_000).unwrap();
        let order = OrderId::new();
        let number = simpost_number(7);
        let facts = ProvenanceFacts {
            order_id: order,
            order_paid_at: paid,
            owner: None,
            first_scan_at: None,
        };
        assert!(check_provenance(Carrier::SimPost, &number, facts).is_ok());
        let reused = ProvenanceFacts {
            owner: Some(OrderId::new()),
            ..facts
        };
        assert_eq!(
            check_provenance(Carrier::SimPost, &number, reused),
            Err(TrackingRejection::AlreadyUsed)
        );
        let early = ProvenanceFacts {
            first_scan_at: Some(Timestamp::from_second(999).unwrap()),
            ..facts
        };
        assert_eq!(
            check_provenance(Carrier::SimPost, &number, early),
            Err(TrackingRejection::PreDated)
        );
        let later = ProvenanceFacts {
            first_scan_at: Some(Timestamp::from_second(1_001).unwrap()),
            ..facts
        };
        assert!(check_provenance(Carrier::SimPost, &number, later).is_ok());
    }
}
