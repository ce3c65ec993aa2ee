//! QR codes encoded by the server for the widget: a `qr` action's `content` becomes the modules the
//! widget draws (`Action::Qr::matrix`), once, when the session is made, so no shopper downloads a QR
//! encoder.

use qrcodegen::{QrCode, QrCodeEcc};
use wallet_checkout_protocol::{Action, QrMatrix};

/// `content` as a QR's modules: medium error correction (`qrcodegen` raises it where the same version
/// allows), low when only that fits; `None` if it is too long for any QR.
pub fn matrix(content: &str) -> Option<QrMatrix> {
    let code = QrCode::encode_text(content, QrCodeEcc::Medium)
        .or_else(|_| QrCode::encode_text(content, QrCodeEcc::Low))
        .ok()?;
    let size = usize::try_from(code.size()).ok()?;
    let mut bytes = vec![0u8; (size * size).div_ceil(8)];
    for y in 0..size {
        for x in 0..size {
            // In range: both below `code.size()`, an i32.
            if code.get_module(x as i32, y as i32) {
                let bit = y * size + x;
                bytes[bit / 8] |= 0x80 >> (bit % 8);
            }
        }
    }
    let dark = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Some(QrMatrix {
        size: u16::try_from(size).ok()?,
        dark,
    })
}

/// `action` with its QR encoded, if it is a `qr` action with `content` and no `matrix` yet.
pub fn drawn(action: Option<Action>) -> Option<Action> {
    match action {
        Some(Action::Qr {
            content: Some(content),
            matrix: None,
            image,
            url,
        }) => Some(Action::Qr {
            matrix: matrix(&content),
            content: Some(content),
            image,
            url,
        }),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_matrix_is_the_codes_modules_bit_for_bit() {
        let text = "https://qr.alipay.com/bax01234567890123456789";
        let m = matrix(text).expect("fits");
        assert!(m.is_valid(), "{m:?}");
        let code = QrCode::encode_text(text, QrCodeEcc::Medium).expect("fits");
        assert_eq!(i32::from(m.size), code.size());
        for y in 0..code.size() {
            for x in 0..code.size() {
                assert_eq!(
                    m.is_dark(x as usize, y as usize),
                    code.get_module(x, y),
                    "({x}, {y})"
                );
            }
        }
        // The finder pattern's corner is dark, the separator beside it light.
        assert!(m.is_dark(0, 0) && !m.is_dark(7, 0));
    }

    #[test]
    fn too_long_for_a_qr_leaves_the_image_to_show() {
        assert_eq!(matrix(&"x".repeat(4000)), None);
        let action = Some(Action::Qr {
            content: Some("x".repeat(4000)),
            matrix: None,
            image: Some("data:image/png;base64,AA".into()),
            url: None,
        });
        assert_eq!(drawn(action.clone()), action);
        assert_eq!(drawn(Some(Action::Wait)), Some(Action::Wait));
        let Some(Action::Qr { matrix, .. }) = drawn(Some(Action::Qr {
            content: Some("weixin://wxpay/bizpayurl?pr=abc".into()),
            matrix: None,
            image: None,
            url: None,
        })) else {
            panic!("still a qr action");
        };
        // 31 bytes at medium correction: version 3, 29 modules a side.
        assert_eq!(matrix.map(|m| m.size), Some(29));
    }
}
