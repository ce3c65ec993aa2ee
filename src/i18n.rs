//! The widget's words, bundled (never fetched): English, Simplified Chinese, Traditional Chinese and
//! French. One table per language; the locale picks one. `{wallet}` and `{time}` are filled in.

use wallet_checkout_protocol::{ErrorCode, Wallet};

use crate::machine::ErrorKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locale {
    En,
    ZhCn,
    ZhTw,
    Fr,
}

impl Locale {
    /// A BCP 47 tag to a bundled language, if there is one: `zh`, `zh-CN`, `zh-Hans…` → Simplified;
    /// `zh-TW`, `zh-HK`, `zh-MO`, `zh-Hant…` → Traditional; `fr…` → French; `en…` → English.
    pub fn from_tag(tag: &str) -> Option<Locale> {
        let t = tag.trim().to_ascii_lowercase().replace('_', "-");
        let primary = t.split('-').next().unwrap_or_default();
        match primary {
            "en" => Some(Locale::En),
            "fr" => Some(Locale::Fr),
            "zh" if ["-tw", "-hk", "-mo", "-hant"].iter().any(|s| t.contains(s)) => {
                Some(Locale::ZhTw)
            }
            "zh" => Some(Locale::ZhCn),
            _ => None,
        }
    }

    /// The first bundled language among `tags` (the option, then `navigator.languages`), else English.
    pub fn pick<'a>(tags: impl IntoIterator<Item = &'a str>) -> Locale {
        tags.into_iter()
            .find_map(Locale::from_tag)
            .unwrap_or(Locale::En)
    }

    pub fn tag(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::ZhCn => "zh-CN",
            Locale::ZhTw => "zh-TW",
            Locale::Fr => "fr",
        }
    }
}

#[derive(Debug)]
pub struct Texts {
    pub choose: &'static str,
    pub preparing: &'static str,
    pub waiting: &'static str,
    pub confirming: &'static str,
    pub opening: &'static str,
    pub success: &'static str,
    pub failed: &'static str,
    pub expired: &'static str,
    pub cancelled: &'static str,
    pub cancelling: &'static str,
    pub cancel: &'static str,
    pub new_code: &'static str,
    pub try_again: &'static str,
    pub retry: &'static str,
    pub expires_in: &'static str,
    pub qr_label: &'static str,
    pub scan_with: &'static str,
    pub network_error: &'static str,
    pub server_error: &'static str,
    pub setup_error: &'static str,
    pub already_paid: &'static str,
    /// `gateway_refused`: the next step is another wallet.
    pub refused: &'static str,
    /// `wallet_unavailable`: the next step is another wallet.
    pub wallet_off: &'static str,
    /// `order_unavailable`: the shop's order lookup failed; **Retry**.
    pub order_unavailable: &'static str,
    pub unsupported: &'static str,
    pub continue_to: &'static str,
    pub pay_in: &'static str,
    pub bridge_closed: &'static str,
    pub bridge_missing: &'static str,
    pub save_and_scan: &'static str,
    pub copy_link: &'static str,
    pub copied: &'static str,
    pub copy_failed: &'static str,
    pub open_app: &'static str,
    pub blocked_in_wechat: &'static str,
    /// Spoken countdown: `{time}` is `minutes` or `seconds` filled in.
    pub spoken_expiry: &'static str,
    pub minute: &'static str,
    pub minutes: &'static str,
    pub seconds: &'static str,
}

const EN: Texts = Texts {
    choose: "Choose how to pay",
    preparing: "Preparing your payment…",
    waiting: "Waiting for payment…",
    confirming: "Confirming payment…",
    opening: "Opening {wallet}…",
    success: "Payment successful",
    failed: "Payment failed",
    expired: "QR code expired",
    cancelled: "Payment cancelled",
    cancelling: "Cancelling…",
    cancel: "Cancel",
    new_code: "Get a new code",
    try_again: "Try again",
    retry: "Retry",
    expires_in: "Expires in",
    qr_label: "QR code to pay",
    scan_with: "Scan with {wallet}",
    network_error: "We could not reach the shop's server.",
    server_error: "The payment could not be started.",
    setup_error: "This payment option is not set up correctly.",
    already_paid: "This order is already paid.",
    refused: "This payment method cannot take this order. Please choose another.",
    wallet_off: "This payment method is not available right now. Please choose another.",
    order_unavailable: "The shop could not confirm your order just now. Please try again.",
    unsupported: "This device cannot make this payment.",
    continue_to: "Continue to {wallet}",
    pay_in: "Pay with {wallet}",
    bridge_closed: "The payment was not completed in {wallet}.",
    bridge_missing: "Open this page inside {wallet} to pay here.",
    save_and_scan: "Save or screenshot this code, then open {wallet}, tap Scan and choose it from your photos.",
    copy_link: "Copy payment link",
    copied: "Link copied",
    copy_failed: "Copying is blocked here: press and hold the link to copy it.",
    open_app: "Open {wallet}",
    blocked_in_wechat: "Alipay does not open inside WeChat. Tap ··· at the top right and choose “Open in Browser”, or scan this code with Alipay.",
    spoken_expiry: "The code expires in {time}.",
    minute: "1 minute",
    minutes: "{n} minutes",
    seconds: "{n} seconds",
};

const ZH_CN: Texts = Texts {
    choose: "请选择支付方式",
    preparing: "正在准备支付…",
    waiting: "等待支付…",
    confirming: "正在确认支付结果…",
    opening: "正在打开{wallet}…",
    success: "支付成功",
    failed: "支付失败",
    expired: "二维码已过期",
    cancelled: "支付已取消",
    cancelling: "正在取消…",
    cancel: "取消",
    new_code: "获取新二维码",
    try_again: "重试",
    retry: "重试",
    expires_in: "剩余时间",
    qr_label: "支付二维码",
    scan_with: "请使用{wallet}扫码",
    network_error: "无法连接商户服务器。",
    server_error: "无法发起支付。",
    setup_error: "该支付方式配置有误。",
    already_paid: "该订单已支付。",
    refused: "该支付方式无法处理此订单，请选择其他支付方式。",
    wallet_off: "该支付方式暂不可用，请选择其他支付方式。",
    order_unavailable: "商家暂时无法确认您的订单，请重试。",
    unsupported: "当前设备无法完成此支付。",
    continue_to: "前往 {wallet}",
    pay_in: "使用{wallet}支付",
    bridge_closed: "未在{wallet}中完成支付。",
    bridge_missing: "请在{wallet}中打开此页面完成支付。",
    save_and_scan: "请保存或截屏此二维码，然后打开{wallet}，点击“扫一扫”并从相册中选择。",
    copy_link: "复制支付链接",
    copied: "链接已复制",
    copy_failed: "此处无法复制：请长按链接进行复制。",
    open_app: "打开{wallet}",
    blocked_in_wechat:
        "微信内无法打开支付宝。请点击右上角“···”，选择“在浏览器打开”，或使用支付宝扫描此二维码。",
    spoken_expiry: "二维码将在{time}后过期。",
    minute: "1 分钟",
    minutes: "{n} 分钟",
    seconds: "{n} 秒",
};

const ZH_TW: Texts = Texts {
    choose: "請選擇付款方式",
    preparing: "正在準備付款…",
    waiting: "等待付款…",
    confirming: "正在確認付款結果…",
    opening: "正在開啟{wallet}…",
    success: "付款成功",
    failed: "付款失敗",
    expired: "QR 碼已過期",
    cancelled: "付款已取消",
    cancelling: "正在取消…",
    cancel: "取消",
    new_code: "取得新的 QR 碼",
    try_again: "再試一次",
    retry: "重試",
    expires_in: "剩餘時間",
    qr_label: "付款 QR 碼",
    scan_with: "請使用{wallet}掃描",
    network_error: "無法連線至商店伺服器。",
    server_error: "無法開始付款。",
    setup_error: "此付款方式設定有誤。",
    already_paid: "此訂單已付款。",
    refused: "此付款方式無法處理這筆訂單，請選擇其他付款方式。",
    wallet_off: "此付款方式目前無法使用，請選擇其他付款方式。",
    order_unavailable: "商店暫時無法確認您的訂單，請重試。",
    unsupported: "此裝置無法完成這筆付款。",
    continue_to: "前往 {wallet}",
    pay_in: "使用{wallet}付款",
    bridge_closed: "未在{wallet}中完成付款。",
    bridge_missing: "請在{wallet}中開啟此頁面以完成付款。",
    save_and_scan: "請儲存或截圖此 QR 碼，然後開啟{wallet}，點選「掃一掃」並從相簿中選取。",
    copy_link: "複製付款連結",
    copied: "已複製連結",
    copy_failed: "此處無法複製：請長按連結複製。",
    open_app: "開啟{wallet}",
    blocked_in_wechat: "微信內無法開啟支付寶。請點選右上角「···」，選擇「在瀏覽器開啟」，或使用支付寶掃描此 QR 碼。",
    spoken_expiry: "QR 碼將在{time}後過期。",
    minute: "1 分鐘",
    minutes: "{n} 分鐘",
    seconds: "{n} 秒",
};

const FR: Texts = Texts {
    choose: "Choisissez votre moyen de paiement",
    preparing: "Préparation du paiement…",
    waiting: "En attente du paiement…",
    confirming: "Confirmation du paiement…",
    opening: "Ouverture de {wallet}…",
    success: "Paiement réussi",
    failed: "Échec du paiement",
    expired: "Code QR expiré",
    cancelled: "Paiement annulé",
    cancelling: "Annulation…",
    cancel: "Annuler",
    new_code: "Obtenir un nouveau code",
    try_again: "Réessayer",
    retry: "Réessayer",
    expires_in: "Expire dans",
    qr_label: "Code QR de paiement",
    scan_with: "Scannez avec {wallet}",
    network_error: "Impossible de joindre le serveur de la boutique.",
    server_error: "Le paiement n’a pas pu démarrer.",
    setup_error: "Ce moyen de paiement est mal configuré.",
    already_paid: "Cette commande est déjà payée.",
    refused: "Ce moyen de paiement ne peut pas accepter cette commande. Choisissez-en un autre.",
    wallet_off: "Ce moyen de paiement n’est pas disponible pour le moment. Choisissez-en un autre.",
    order_unavailable: "La boutique n’a pas pu confirmer votre commande. Veuillez réessayer.",
    unsupported: "Cet appareil ne peut pas effectuer ce paiement.",
    continue_to: "Continuer vers {wallet}",
    pay_in: "Payer avec {wallet}",
    bridge_closed: "Le paiement n’a pas été finalisé dans {wallet}.",
    bridge_missing: "Ouvrez cette page dans {wallet} pour payer ici.",
    save_and_scan: "Enregistrez ou capturez ce code, puis ouvrez {wallet}, touchez Scanner et choisissez-le dans vos photos.",
    copy_link: "Copier le lien de paiement",
    copied: "Lien copié",
    copy_failed: "La copie est bloquée ici : appuyez longuement sur le lien pour le copier.",
    open_app: "Ouvrir {wallet}",
    blocked_in_wechat: "Alipay ne s’ouvre pas dans WeChat. Touchez ··· en haut à droite et choisissez « Ouvrir dans le navigateur », ou scannez ce code avec Alipay.",
    spoken_expiry: "Le code expire dans {time}.",
    minute: "1 minute",
    minutes: "{n} minutes",
    seconds: "{n} secondes",
};

pub fn texts(locale: Locale) -> &'static Texts {
    match locale {
        Locale::En => &EN,
        Locale::ZhCn => &ZH_CN,
        Locale::ZhTw => &ZH_TW,
        Locale::Fr => &FR,
    }
}

/// `template` with `{wallet}` replaced by the wallet's brand name (kept in its usual form).
pub fn fill(template: &str, wallet: Wallet) -> String {
    template.replace("{wallet}", wallet.display_name())
}

impl Texts {
    /// What a person reads for a failure (the developer detail goes to the console and `onError`).
    pub fn failure(&self, kind: ErrorKind, code: Option<ErrorCode>) -> &'static str {
        match (kind, code) {
            (_, Some(ErrorCode::OrderAlreadyPaid)) => self.already_paid,
            (_, Some(ErrorCode::GatewayRefused)) => self.refused,
            (_, Some(ErrorCode::WalletUnavailable)) => self.wallet_off,
            (_, Some(ErrorCode::OrderUnavailable)) => self.order_unavailable,
            (ErrorKind::Network, _) => self.network_error,
            (ErrorKind::Misconfigured, _) => self.setup_error,
            (ErrorKind::Unsupported, _) => self.unsupported,
            (ErrorKind::Api, _) => self.server_error,
        }
    }

    /// The spoken countdown for a mark (`time::spoken_mark`): whole minutes, or seconds under one.
    pub fn spoken(&self, mark_secs: u64) -> String {
        let time = if mark_secs >= 120 {
            self.minutes.replace("{n}", &(mark_secs / 60).to_string())
        } else if mark_secs >= 60 {
            self.minute.to_string()
        } else {
            self.seconds.replace("{n}", &mark_secs.to_string())
        };
        self.spoken_expiry.replace("{time}", &time)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locale_tags() {
        for (tag, want) in [
            ("zh-CN", Some(Locale::ZhCn)),
            ("zh-Hans-CN", Some(Locale::ZhCn)),
            ("zh", Some(Locale::ZhCn)),
            ("zh-TW", Some(Locale::ZhTw)),
            ("zh-Hant-HK", Some(Locale::ZhTw)),
            ("zh_HK", Some(Locale::ZhTw)),
            ("fr-CA", Some(Locale::Fr)),
            ("FR", Some(Locale::Fr)),
            ("en-CA", Some(Locale::En)),
            ("de-DE", None),
            ("", None),
        ] {
            assert_eq!(Locale::from_tag(tag), want, "{tag}");
        }
        assert_eq!(Locale::pick(["de-DE", "fr-FR", "en"]), Locale::Fr);
        assert_eq!(Locale::pick(["de-DE"]), Locale::En);
    }

    #[test]
    fn every_table_fills_every_placeholder() {
        for locale in [Locale::En, Locale::ZhCn, Locale::ZhTw, Locale::Fr] {
            let t = texts(locale);
            for template in [
                t.opening,
                t.scan_with,
                t.continue_to,
                t.pay_in,
                t.bridge_closed,
                t.bridge_missing,
                t.save_and_scan,
                t.open_app,
            ] {
                assert!(template.contains("{wallet}"), "{locale:?}: {template}");
                assert!(!fill(template, Wallet::WechatPay).contains('{'));
            }
            for secs in [900, 300, 60, 30] {
                let spoken = t.spoken(secs);
                assert!(!spoken.contains('{'), "{locale:?}: {spoken}");
            }
        }
        assert_eq!(
            texts(Locale::En).spoken(300),
            "The code expires in 5 minutes."
        );
        assert_eq!(
            texts(Locale::En).spoken(60),
            "The code expires in 1 minute."
        );
        assert_eq!(
            texts(Locale::Fr).spoken(30),
            "Le code expire dans 30 secondes."
        );
        assert_eq!(texts(Locale::En).success, "Payment successful");
    }
}
