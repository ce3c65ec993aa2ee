//! The widget's words: English, Simplified and Traditional Chinese, French, Japanese, Korean, German,
//! Spanish, Italian and Dutch, with the wallets' names as each market writes them. One table per
//! language, all written here; the wasm carries English only, and each other table reaches it as
//! `www/locales/<tag>.json` (generated from this file by its tests), fetched by the embedding code
//! for the shopper's one language (an array in `Texts::KEYS`' order) and checked by
//! `Texts::from_table`. `{wallet}`, `{time}` and `{n}`
//! are filled in.

use wallet_checkout_protocol::{ErrorCode, Wallet};

use crate::machine::ErrorKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locale {
    En,
    ZhCn,
    ZhTw,
    Fr,
    Ja,
    Ko,
    De,
    Es,
    It,
    Nl,
}

impl Locale {
    pub const ALL: [Locale; 10] = [
        Locale::En,
        Locale::ZhCn,
        Locale::ZhTw,
        Locale::Fr,
        Locale::Ja,
        Locale::Ko,
        Locale::De,
        Locale::Es,
        Locale::It,
        Locale::Nl,
    ];

    /// The reference for `www/first.js`'s `pickLocale`, which picks at run time (the wasm takes the
    /// tag it picked): a BCP 47 tag to a language the widget has, if there is one: `zh`, `zh-CN`, `zh-Hans…` → Simplified;
    /// `zh-TW`, `zh-HK`, `zh-MO`, `zh-Hant…` → Traditional; otherwise by the primary subtag
    /// (`fr-CA` → French, `de-AT` → German, `nl-BE` → Dutch…).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn from_tag(tag: &str) -> Option<Locale> {
        let t = tag.trim().to_ascii_lowercase().replace('_', "-");
        let primary = t.split('-').next().unwrap_or_default();
        match primary {
            "en" => Some(Locale::En),
            "fr" => Some(Locale::Fr),
            "ja" => Some(Locale::Ja),
            "ko" => Some(Locale::Ko),
            "de" => Some(Locale::De),
            "es" => Some(Locale::Es),
            "it" => Some(Locale::It),
            "nl" => Some(Locale::Nl),
            "zh" if ["-tw", "-hk", "-mo", "-hant"].iter().any(|s| t.contains(s)) => {
                Some(Locale::ZhTw)
            }
            "zh" => Some(Locale::ZhCn),
            _ => None,
        }
    }

    /// The first bundled language among `tags` (the option, then `navigator.languages`), else English.
    #[cfg(not(target_arch = "wasm32"))]
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
            Locale::Ja => "ja",
            Locale::Ko => "ko",
            Locale::De => "de",
            Locale::Es => "es",
            Locale::It => "it",
            Locale::Nl => "nl",
        }
    }
}

/// The struct of one language's words, and its keys (the JSON tables' keys, in this order).
macro_rules! texts {
    ($($(#[$doc:meta])* $field:ident,)*) => {
        #[derive(Debug)]
        pub struct Texts {
            $($(#[$doc])* pub $field: &'static str,)*
        }

        impl Texts {
            pub const KEYS: &'static [&'static str] = &[$(stringify!($field)),*];
            const COUNT: usize = [$(stringify!($field)),*].len();

            /// A table from outside the wasm (`get` reads one entry by its index in `KEYS`, and
            /// its key), or `None` if any is missing, empty, too long, has a control character or
            /// lacks the placeholder its use fills in. Its strings live as long as the page (a
            /// language is decoded once: `Runtime`'s cache).
            pub fn from_table(
                mut get: impl FnMut(u32, &'static str) -> Option<String>,
            ) -> Option<Texts> {
                let mut values = Vec::with_capacity(Self::COUNT);
                for (i, &key) in (0u32..).zip(Self::KEYS) {
                    values.push(get(i, key).filter(|v| acceptable(key, v))?);
                }
                let values: [String; Self::COUNT] = values.try_into().ok()?;
                let [$($field),*] = values.map(|v| &*Box::leak(v.into_boxed_str()));
                Some(Texts { $($field),* })
            }

            /// Every key with its words, in `KEYS`' order.
            #[cfg(not(target_arch = "wasm32"))]
            pub fn entries(&self) -> Vec<(&'static str, &'static str)> {
                vec![$((stringify!($field), self.$field)),*]
            }
        }
    };
}

texts! {
    // The first screen's words first (`www/first.js` reads them from a table by these positions).
    choose,
    /// The wallets' names in this market, on the buttons, in prompts and in accessible names.
    alipay,
    wechat_pay,
    unionpay,
    /// The load error state's, which the embedding code shows when the wasm cannot load.
    server_error,
    retry,
    preparing,
    waiting,
    confirming,
    opening,
    success,
    failed,
    expired,
    cancelled,
    cancelling,
    cancel,
    new_code,
    try_again,
    expires_in,
    qr_label,
    scan_with,
    network_error,
    setup_error,
    already_paid,
    /// `gateway_refused`: the next step is another wallet.
    refused,
    /// `wallet_unavailable`: the next step is another wallet.
    wallet_off,
    /// `order_unavailable`: the shop's order lookup failed; **Retry**.
    order_unavailable,
    unsupported,
    continue_to,
    pay_in,
    bridge_closed,
    bridge_missing,
    save_and_scan,
    copy_link,
    copied,
    copy_failed,
    open_app,
    blocked_in_wechat,
    /// Spoken countdown: `{time}` is `minutes` or `seconds` filled in.
    spoken_expiry,
    minute,
    minutes,
    seconds,
    /// Spoken under 30 s (mark 0).
    expiring,
    /// The counter (flow `payment_code`): the wait for the shopper's phone. The field's own words
    /// are the counter module's (`www/counter.js`), fetched only on that flow.
    confirm_on_phone,
}

/// The placeholder a key's words must keep, if any.
fn placeholder(key: &str) -> Option<&'static str> {
    match key {
        "opening" | "scan_with" | "continue_to" | "pay_in" | "bridge_closed" | "bridge_missing"
        | "save_and_scan" | "open_app" => Some("{wallet}"),
        "spoken_expiry" => Some("{time}"),
        "minutes" | "seconds" => Some("{n}"),
        _ => None,
    }
}

/// One value of a table from outside: words, not markup or a novel (they are set as text anyway).
fn acceptable(key: &str, value: &str) -> bool {
    !value.trim().is_empty()
        && value.chars().count() <= 400
        && !value.chars().any(char::is_control)
        && placeholder(key).is_none_or(|p| value.contains(p))
}

/// Built into the wasm: the words before any table arrives, and whenever one cannot.
pub const EN: Texts = Texts {
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
    expiring: "The code is about to expire.",
    confirm_on_phone: "Waiting for the customer to confirm on their phone…",
    alipay: "Alipay",
    wechat_pay: "WeChat Pay",
    unionpay: "UnionPay",
};

#[cfg(not(target_arch = "wasm32"))]
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
    expiring: "二维码即将过期。",
    confirm_on_phone: "等待顾客在手机上确认…",
    alipay: "支付宝",
    wechat_pay: "微信支付",
    unionpay: "银联",
};

#[cfg(not(target_arch = "wasm32"))]
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
    expiring: "QR 碼即將過期。",
    confirm_on_phone: "等待顧客在手機上確認…",
    alipay: "支付寶",
    wechat_pay: "微信支付",
    unionpay: "銀聯",
};

#[cfg(not(target_arch = "wasm32"))]
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
    expiring: "Le code va bientôt expirer.",
    confirm_on_phone: "En attente de la confirmation du client sur son téléphone…",
    alipay: "Alipay",
    wechat_pay: "WeChat Pay",
    unionpay: "UnionPay",
};

#[cfg(not(target_arch = "wasm32"))]
const JA: Texts = Texts {
    choose: "お支払い方法を選択してください",
    preparing: "お支払いの準備をしています…",
    waiting: "お支払いをお待ちしています…",
    confirming: "お支払いを確認しています…",
    opening: "{wallet}を開いています…",
    success: "お支払いが完了しました",
    failed: "お支払いに失敗しました",
    expired: "QRコードの有効期限が切れました",
    cancelled: "お支払いはキャンセルされました",
    cancelling: "キャンセルしています…",
    cancel: "キャンセル",
    new_code: "新しいコードを表示",
    try_again: "もう一度試す",
    retry: "再試行",
    expires_in: "有効期限まで",
    qr_label: "お支払い用QRコード",
    scan_with: "{wallet}でスキャンしてください",
    network_error: "ショップのサーバーに接続できませんでした。",
    server_error: "お支払いを開始できませんでした。",
    setup_error: "このお支払い方法は正しく設定されていません。",
    already_paid: "このご注文はお支払い済みです。",
    refused: "このお支払い方法ではこのご注文をお受けできません。別の方法をお選びください。",
    wallet_off: "このお支払い方法は現在ご利用いただけません。別の方法をお選びください。",
    order_unavailable: "ショップがご注文を確認できませんでした。もう一度お試しください。",
    unsupported: "この端末ではこのお支払いを行えません。",
    continue_to: "{wallet}へ進む",
    pay_in: "{wallet}で支払う",
    bridge_closed: "{wallet}でのお支払いは完了しませんでした。",
    bridge_missing: "ここでお支払いするには、このページを{wallet}で開いてください。",
    save_and_scan: "このコードを保存またはスクリーンショットしてから{wallet}を開き、「スキャン」をタップして写真から選んでください。",
    copy_link: "支払いリンクをコピー",
    copied: "リンクをコピーしました",
    copy_failed: "ここではコピーできません。リンクを長押ししてコピーしてください。",
    open_app: "{wallet}を開く",
    blocked_in_wechat: "WeChatの中ではアリペイを開けません。右上の「···」をタップして「ブラウザで開く」を選ぶか、このコードをアリペイでスキャンしてください。",
    spoken_expiry: "コードの有効期限まであと{time}です。",
    minute: "1分",
    minutes: "{n}分",
    seconds: "{n}秒",
    expiring: "コードの有効期限がまもなく切れます。",
    confirm_on_phone: "お客様のスマートフォンでの確認を待っています…",
    alipay: "アリペイ",
    wechat_pay: "WeChat Pay",
    unionpay: "銀聯",
};

#[cfg(not(target_arch = "wasm32"))]
const KO: Texts = Texts {
    choose: "결제 수단을 선택하세요",
    preparing: "결제를 준비하고 있습니다…",
    waiting: "결제를 기다리는 중…",
    confirming: "결제를 확인하는 중…",
    opening: "{wallet} 여는 중…",
    success: "결제가 완료되었습니다",
    failed: "결제에 실패했습니다",
    expired: "QR 코드가 만료되었습니다",
    cancelled: "결제가 취소되었습니다",
    cancelling: "취소하는 중…",
    cancel: "취소",
    new_code: "새 코드 받기",
    try_again: "다시 시도",
    retry: "재시도",
    expires_in: "남은 시간",
    qr_label: "결제용 QR 코드",
    scan_with: "{wallet}로 스캔하세요",
    network_error: "상점 서버에 연결할 수 없습니다.",
    server_error: "결제를 시작할 수 없습니다.",
    setup_error: "이 결제 수단이 올바르게 설정되지 않았습니다.",
    already_paid: "이미 결제된 주문입니다.",
    refused: "이 결제 수단으로는 이 주문을 결제할 수 없습니다. 다른 수단을 선택하세요.",
    wallet_off: "이 결제 수단은 지금 사용할 수 없습니다. 다른 수단을 선택하세요.",
    order_unavailable: "상점에서 주문을 확인하지 못했습니다. 다시 시도하세요.",
    unsupported: "이 기기에서는 이 결제를 할 수 없습니다.",
    continue_to: "{wallet}로 계속",
    pay_in: "{wallet}로 결제",
    bridge_closed: "{wallet}에서 결제가 완료되지 않았습니다.",
    bridge_missing: "여기서 결제하려면 이 페이지를 {wallet}에서 여세요.",
    save_and_scan: "이 코드를 저장하거나 캡처한 다음 {wallet}를 열고 스캔을 눌러 사진에서 선택하세요.",
    copy_link: "결제 링크 복사",
    copied: "링크가 복사되었습니다",
    copy_failed: "여기서는 복사할 수 없습니다. 링크를 길게 눌러 복사하세요.",
    open_app: "{wallet} 열기",
    blocked_in_wechat: "위챗에서는 알리페이를 열 수 없습니다. 오른쪽 위의 ···를 누르고 '브라우저에서 열기'를 선택하거나 알리페이로 이 코드를 스캔하세요.",
    spoken_expiry: "코드가 {time} 후에 만료됩니다.",
    minute: "1분",
    minutes: "{n}분",
    seconds: "{n}초",
    expiring: "코드가 곧 만료됩니다.",
    confirm_on_phone: "고객이 휴대폰에서 확인하기를 기다리는 중…",
    alipay: "알리페이",
    wechat_pay: "위챗페이",
    unionpay: "유니온페이",
};

#[cfg(not(target_arch = "wasm32"))]
const DE: Texts = Texts {
    choose: "Wählen Sie eine Zahlungsart",
    preparing: "Zahlung wird vorbereitet…",
    waiting: "Warten auf Zahlung…",
    confirming: "Zahlung wird bestätigt…",
    opening: "{wallet} wird geöffnet…",
    success: "Zahlung erfolgreich",
    failed: "Zahlung fehlgeschlagen",
    expired: "QR-Code abgelaufen",
    cancelled: "Zahlung abgebrochen",
    cancelling: "Wird abgebrochen…",
    cancel: "Abbrechen",
    new_code: "Neuen Code anfordern",
    try_again: "Erneut versuchen",
    retry: "Wiederholen",
    expires_in: "Läuft ab in",
    qr_label: "QR-Code zum Bezahlen",
    scan_with: "Mit {wallet} scannen",
    network_error: "Der Server des Shops ist nicht erreichbar.",
    server_error: "Die Zahlung konnte nicht gestartet werden.",
    setup_error: "Diese Zahlungsart ist nicht richtig eingerichtet.",
    already_paid: "Diese Bestellung ist bereits bezahlt.",
    refused: "Mit dieser Zahlungsart kann diese Bestellung nicht bezahlt werden. Bitte wählen Sie eine andere.",
    wallet_off: "Diese Zahlungsart ist gerade nicht verfügbar. Bitte wählen Sie eine andere.",
    order_unavailable: "Der Shop konnte Ihre Bestellung gerade nicht bestätigen. Bitte versuchen Sie es erneut.",
    unsupported: "Mit diesem Gerät ist diese Zahlung nicht möglich.",
    continue_to: "Weiter zu {wallet}",
    pay_in: "Mit {wallet} bezahlen",
    bridge_closed: "Die Zahlung in {wallet} wurde nicht abgeschlossen.",
    bridge_missing: "Öffnen Sie diese Seite in {wallet}, um hier zu bezahlen.",
    save_and_scan: "Speichern Sie diesen Code oder machen Sie einen Screenshot, öffnen Sie dann {wallet}, tippen Sie auf Scannen und wählen Sie ihn aus Ihren Fotos.",
    copy_link: "Zahlungslink kopieren",
    copied: "Link kopiert",
    copy_failed: "Kopieren ist hier blockiert: Halten Sie den Link gedrückt, um ihn zu kopieren.",
    open_app: "{wallet} öffnen",
    blocked_in_wechat: "Alipay lässt sich in WeChat nicht öffnen. Tippen Sie oben rechts auf ··· und wählen Sie „Im Browser öffnen“, oder scannen Sie diesen Code mit Alipay.",
    spoken_expiry: "Der Code läuft in {time} ab.",
    minute: "1 Minute",
    minutes: "{n} Minuten",
    seconds: "{n} Sekunden",
    expiring: "Der Code läuft gleich ab.",
    confirm_on_phone: "Warten auf die Bestätigung des Kunden am Telefon…",
    alipay: "Alipay",
    wechat_pay: "WeChat Pay",
    unionpay: "UnionPay",
};

#[cfg(not(target_arch = "wasm32"))]
const ES: Texts = Texts {
    choose: "Elige cómo pagar",
    preparing: "Preparando tu pago…",
    waiting: "Esperando el pago…",
    confirming: "Confirmando el pago…",
    opening: "Abriendo {wallet}…",
    success: "Pago realizado",
    failed: "El pago no se ha podido realizar",
    expired: "El código QR ha caducado",
    cancelled: "Pago cancelado",
    cancelling: "Cancelando…",
    cancel: "Cancelar",
    new_code: "Obtener un código nuevo",
    try_again: "Volver a intentarlo",
    retry: "Reintentar",
    expires_in: "Caduca en",
    qr_label: "Código QR para pagar",
    scan_with: "Escanea con {wallet}",
    network_error: "No hemos podido conectar con el servidor de la tienda.",
    server_error: "No se ha podido iniciar el pago.",
    setup_error: "Este método de pago no está bien configurado.",
    already_paid: "Este pedido ya está pagado.",
    refused: "Este método de pago no puede aceptar este pedido. Elige otro.",
    wallet_off: "Este método de pago no está disponible ahora. Elige otro.",
    order_unavailable: "La tienda no ha podido confirmar tu pedido. Vuelve a intentarlo.",
    unsupported: "Este dispositivo no puede realizar este pago.",
    continue_to: "Continuar a {wallet}",
    pay_in: "Pagar con {wallet}",
    bridge_closed: "El pago no se completó en {wallet}.",
    bridge_missing: "Abre esta página en {wallet} para pagar aquí.",
    save_and_scan: "Guarda este código o haz una captura, abre {wallet}, toca Escanear y elígelo de tus fotos.",
    copy_link: "Copiar enlace de pago",
    copied: "Enlace copiado",
    copy_failed: "Aquí no se puede copiar: mantén pulsado el enlace para copiarlo.",
    open_app: "Abrir {wallet}",
    blocked_in_wechat: "Alipay no se abre dentro de WeChat. Toca ··· arriba a la derecha y elige «Abrir en el navegador», o escanea este código con Alipay.",
    spoken_expiry: "El código caduca en {time}.",
    minute: "1 minuto",
    minutes: "{n} minutos",
    seconds: "{n} segundos",
    expiring: "El código está a punto de caducar.",
    confirm_on_phone: "Esperando a que el cliente confirme en su teléfono…",
    alipay: "Alipay",
    wechat_pay: "WeChat Pay",
    unionpay: "UnionPay",
};

#[cfg(not(target_arch = "wasm32"))]
const IT: Texts = Texts {
    choose: "Scegli come pagare",
    preparing: "Preparazione del pagamento…",
    waiting: "In attesa del pagamento…",
    confirming: "Conferma del pagamento…",
    opening: "Apertura di {wallet}…",
    success: "Pagamento riuscito",
    failed: "Pagamento non riuscito",
    expired: "Codice QR scaduto",
    cancelled: "Pagamento annullato",
    cancelling: "Annullamento…",
    cancel: "Annulla",
    new_code: "Ottieni un nuovo codice",
    try_again: "Riprova",
    retry: "Riprova",
    expires_in: "Scade tra",
    qr_label: "Codice QR per pagare",
    scan_with: "Scansiona con {wallet}",
    network_error: "Impossibile raggiungere il server del negozio.",
    server_error: "Impossibile avviare il pagamento.",
    setup_error: "Questo metodo di pagamento non è configurato correttamente.",
    already_paid: "Questo ordine è già stato pagato.",
    refused: "Questo metodo di pagamento non può accettare questo ordine. Scegline un altro.",
    wallet_off: "Questo metodo di pagamento non è disponibile al momento. Scegline un altro.",
    order_unavailable: "Il negozio non è riuscito a confermare l’ordine. Riprova.",
    unsupported: "Questo dispositivo non può effettuare questo pagamento.",
    continue_to: "Continua su {wallet}",
    pay_in: "Paga con {wallet}",
    bridge_closed: "Il pagamento non è stato completato in {wallet}.",
    bridge_missing: "Apri questa pagina in {wallet} per pagare qui.",
    save_and_scan: "Salva questo codice o fai uno screenshot, poi apri {wallet}, tocca Scansiona e sceglilo dalle tue foto.",
    copy_link: "Copia il link di pagamento",
    copied: "Link copiato",
    copy_failed: "Qui la copia è bloccata: tieni premuto il link per copiarlo.",
    open_app: "Apri {wallet}",
    blocked_in_wechat: "Alipay non si apre dentro WeChat. Tocca ··· in alto a destra e scegli «Apri nel browser», oppure scansiona questo codice con Alipay.",
    spoken_expiry: "Il codice scade tra {time}.",
    minute: "1 minuto",
    minutes: "{n} minuti",
    seconds: "{n} secondi",
    expiring: "Il codice sta per scadere.",
    confirm_on_phone: "Attesa conferma del cliente sul telefono…",
    alipay: "Alipay",
    wechat_pay: "WeChat Pay",
    unionpay: "UnionPay",
};

#[cfg(not(target_arch = "wasm32"))]
const NL: Texts = Texts {
    choose: "Kies hoe je wilt betalen",
    preparing: "Je betaling wordt voorbereid…",
    waiting: "Wachten op betaling…",
    confirming: "Betaling wordt bevestigd…",
    opening: "{wallet} wordt geopend…",
    success: "Betaling gelukt",
    failed: "Betaling mislukt",
    expired: "QR-code verlopen",
    cancelled: "Betaling geannuleerd",
    cancelling: "Bezig met annuleren…",
    cancel: "Annuleren",
    new_code: "Nieuwe code ophalen",
    try_again: "Opnieuw proberen",
    retry: "Opnieuw",
    expires_in: "Verloopt over",
    qr_label: "QR-code om te betalen",
    scan_with: "Scan met {wallet}",
    network_error: "We konden de server van de winkel niet bereiken.",
    server_error: "De betaling kon niet worden gestart.",
    setup_error: "Deze betaalmethode is niet goed ingesteld.",
    already_paid: "Deze bestelling is al betaald.",
    refused: "Deze betaalmethode kan deze bestelling niet aannemen. Kies een andere.",
    wallet_off: "Deze betaalmethode is nu niet beschikbaar. Kies een andere.",
    order_unavailable: "De winkel kon je bestelling nu niet bevestigen. Probeer het opnieuw.",
    unsupported: "Met dit apparaat kan deze betaling niet worden gedaan.",
    continue_to: "Verder naar {wallet}",
    pay_in: "Betalen met {wallet}",
    bridge_closed: "De betaling in {wallet} is niet voltooid.",
    bridge_missing: "Open deze pagina in {wallet} om hier te betalen.",
    save_and_scan: "Sla deze code op of maak een screenshot, open dan {wallet}, tik op Scannen en kies hem uit je foto’s.",
    copy_link: "Betaallink kopiëren",
    copied: "Link gekopieerd",
    copy_failed: "Kopiëren is hier geblokkeerd: houd de link ingedrukt om hem te kopiëren.",
    open_app: "{wallet} openen",
    blocked_in_wechat: "Alipay opent niet in WeChat. Tik rechtsboven op ··· en kies ‘Openen in browser’, of scan deze code met Alipay.",
    spoken_expiry: "De code verloopt over {time}.",
    minute: "1 minuut",
    minutes: "{n} minuten",
    seconds: "{n} seconden",
    expiring: "De code verloopt zo.",
    confirm_on_phone: "Wachten tot de klant bevestigt op de telefoon…",
    alipay: "Alipay",
    wechat_pay: "WeChat Pay",
    unionpay: "UnionPay",
};

/// Every table (the host's tests, and the generator of `www/locales/`); the wasm has only `EN`.
#[cfg(not(target_arch = "wasm32"))]
pub fn texts(locale: Locale) -> &'static Texts {
    match locale {
        Locale::En => &EN,
        Locale::ZhCn => &ZH_CN,
        Locale::ZhTw => &ZH_TW,
        Locale::Fr => &FR,
        Locale::Ja => &JA,
        Locale::Ko => &KO,
        Locale::De => &DE,
        Locale::Es => &ES,
        Locale::It => &IT,
        Locale::Nl => &NL,
    }
}

impl Texts {
    /// The wallet's name as this market writes it.
    pub fn name(&self, wallet: Wallet) -> &'static str {
        match wallet {
            Wallet::Alipay => self.alipay,
            Wallet::WechatPay => self.wechat_pay,
            Wallet::Unionpay => self.unionpay,
        }
    }

    /// `template` with `{wallet}` replaced by the wallet's name in this language.
    pub fn fill(&self, template: &str, wallet: Wallet) -> String {
        template.replace("{wallet}", self.name(wallet))
    }

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

    /// The spoken countdown for a mark (`time::spoken_mark`): whole minutes, or seconds under one,
    /// "about to expire" at mark 0.
    pub fn spoken(&self, mark_secs: u64) -> String {
        if mark_secs == 0 {
            return self.expiring.to_string();
        }
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

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    /// The keys the embedding code paints the first screen with (`www/words.js`: English; the
    /// other languages' from their tables), and the words of its load error state.
    const FIRST: [&str; 6] = [
        "choose",
        "alipay",
        "wechat_pay",
        "unionpay",
        "server_error",
        "retry",
    ];

    fn json(s: &str) -> String {
        serde_json::to_string(s).unwrap_or_default()
    }

    /// `www/locales/<tag>.json` (every language but English) and `www/words.js` as these tables and
    /// `marks.rs` make them: compared with the files kept in the repository, rewritten by
    /// `WALLET_CHECKOUT_UPDATE_WORDS=1 cargo test -p wallet-checkout i18n`.
    fn generated() -> Vec<(String, String)> {
        let mut files = Vec::new();
        for locale in Locale::ALL.into_iter().filter(|&l| l != Locale::En) {
            // An array in `Texts::KEYS`' order (the keys would be a good part of a table's bytes).
            let lines: Vec<String> = texts(locale)
                .entries()
                .iter()
                .map(|(_, v)| format!("  {}", json(v)))
                .collect();
            files.push((
                format!("www/locales/{}.json", locale.tag()),
                format!("[\n{}\n]\n", lines.join(",\n")),
            ));
        }
        let mut js = String::from(
            "//! Generated from src/i18n.rs and src/marks.rs by their tests: do not edit (rewrite it with\n\
             //! `WALLET_CHECKOUT_UPDATE_WORDS=1 cargo test -p wallet-checkout i18n`). What the embedding code\n\
             //! paints before the wasm runs: the first screen's words in English (the other languages' are in\n\
             //! their tables, `locales/<tag>.json`), and the wallets' marks (viewBox, then [fill, path] shapes),\n\
             //! which only the embedding code draws.\n\
             export const ENGLISH = {\n",
        );
        let en: std::collections::HashMap<_, _> = texts(Locale::En).entries().into_iter().collect();
        for key in FIRST {
            js.push_str(&format!("  {key}: {},\n", json(en[key])));
        }
        // A table lists them first, in this order (`first.js` takes them by position).
        assert_eq!(
            &Texts::KEYS[..FIRST.len()],
            FIRST,
            "the first screen's keys come first"
        );
        js.push_str(&format!(
            "}};\nexport const ENTRIES = {};\n",
            Texts::KEYS.len()
        ));
        let tags: Vec<String> = Locale::ALL.iter().map(|l| json(l.tag())).collect();
        js.push_str(&format!("export const TAGS = [{}];\n", tags.join(", ")));
        js.push_str("export const MARKS = {\n");
        for w in Wallet::ALL {
            let m = crate::marks::mark(w);
            let shapes: Vec<String> = m
                .shapes
                .iter()
                .map(|(fill, d)| format!("[{}, {}]", json(fill), json(d)))
                .collect();
            js.push_str(&format!(
                "  {}: [{}, [{}]],\n",
                w.as_str(),
                json(m.view_box),
                shapes.join(", ")
            ));
        }
        js.push_str("};\n");
        files.push(("www/words.js".into(), js));
        files
    }

    #[test]
    fn the_tables_outside_the_wasm_are_these() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let update = std::env::var_os("WALLET_CHECKOUT_UPDATE_WORDS").is_some();
        let mut stale = Vec::new();
        for (path, want) in generated() {
            let full = root.join(&path);
            if std::fs::read_to_string(&full).ok().as_deref() == Some(want.as_str()) {
                continue;
            }
            if update {
                std::fs::create_dir_all(full.parent().expect("a directory")).expect("mkdir");
                std::fs::write(&full, want).expect("write");
            } else {
                stale.push(path);
            }
        }
        assert!(
            stale.is_empty(),
            "{stale:?} differ from src/i18n.rs: rewrite them with WALLET_CHECKOUT_UPDATE_WORDS=1 cargo test -p wallet-checkout i18n"
        );
    }

    #[test]
    fn the_npm_entry_imports_every_other_language() {
        let index = include_str!("../www/index.js");
        for locale in Locale::ALL.into_iter().filter(|&l| l != Locale::En) {
            let import = format!("() => import(\"./locales/{}.js\")", locale.tag());
            assert!(index.contains(&import), "www/index.js lacks {import}");
        }
    }

    #[test]
    fn a_table_from_outside_is_checked_whole() {
        let fr = texts(Locale::Fr);
        let all: std::collections::HashMap<_, _> = fr.entries().into_iter().collect();
        let read = |over: Option<(&str, &str)>| {
            Texts::from_table(|_, k| match over {
                Some((key, v)) if key == k => (!v.is_empty()).then(|| v.to_string()),
                _ => all.get(k).map(|v| v.to_string()),
            })
        };
        let back = read(None).expect("the French table reads back");
        assert_eq!(back.entries(), fr.entries());
        // Every table reads back whole, as the wasm reads it (by index).
        for locale in Locale::ALL {
            let entries = texts(locale).entries();
            let back = Texts::from_table(|i, _| entries.get(i as usize).map(|e| e.1.to_string()));
            assert_eq!(back.map(|t| t.entries()), Some(entries), "{locale:?}");
        }
        for (key, bad) in [
            ("choose", ""),
            ("choose", "   "),
            ("scan_with", "Scannez avec"),
            ("spoken_expiry", "Le code expire."),
            ("minutes", "minutes"),
            ("cancel", "Annuler\u{0}"),
            ("retry", "Réessayer\nmaintenant"),
        ] {
            assert!(read(Some((key, bad))).is_none(), "{key}: {bad:?}");
        }
        assert!(read(Some(("choose", &"x".repeat(401)))).is_none());
        assert!(read(Some(("choose", &"x".repeat(400)))).is_some());
        assert!(Texts::from_table(|_, _| None).is_none());
    }

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
            ("de-DE", Some(Locale::De)),
            ("de-AT", Some(Locale::De)),
            ("ja-JP", Some(Locale::Ja)),
            ("ko", Some(Locale::Ko)),
            ("es-419", Some(Locale::Es)),
            ("it-CH", Some(Locale::It)),
            ("nl-BE", Some(Locale::Nl)),
            ("pt-BR", None),
            ("", None),
        ] {
            assert_eq!(Locale::from_tag(tag), want, "{tag}");
        }
        assert_eq!(Locale::pick(["pt-PT", "fr-FR", "en"]), Locale::Fr);
        assert_eq!(Locale::pick(["pt-PT"]), Locale::En);
        for locale in Locale::ALL {
            assert_eq!(Locale::from_tag(locale.tag()), Some(locale));
        }
    }

    #[test]
    fn every_table_fills_every_placeholder() {
        for locale in Locale::ALL {
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
                assert!(!t.fill(template, Wallet::WechatPay).contains('{'));
            }
            for secs in [900, 300, 60, 30, 0] {
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
        assert_eq!(texts(Locale::En).spoken(0), "The code is about to expire.");
    }

    #[test]
    fn each_market_reads_its_own_wallet_names() {
        let names = |l: Locale| Wallet::ALL.map(|w| texts(l).name(w));
        assert_eq!(names(Locale::ZhCn), ["支付宝", "微信支付", "银联"]);
        assert_eq!(names(Locale::ZhTw), ["支付寶", "微信支付", "銀聯"]);
        assert_eq!(names(Locale::Ja), ["アリペイ", "WeChat Pay", "銀聯"]);
        assert_eq!(names(Locale::Ko), ["알리페이", "위챗페이", "유니온페이"]);
        for l in [
            Locale::En,
            Locale::Fr,
            Locale::De,
            Locale::Es,
            Locale::It,
            Locale::Nl,
        ] {
            assert_eq!(names(l), ["Alipay", "WeChat Pay", "UnionPay"], "{l:?}");
        }
        assert_eq!(
            texts(Locale::ZhCn).fill(texts(Locale::ZhCn).scan_with, Wallet::WechatPay),
            "请使用微信支付扫码"
        );
        // No table names a wallet in another market's spelling (an English name in a Chinese prompt).
        for l in [Locale::ZhCn, Locale::ZhTw, Locale::Ja, Locale::Ko] {
            let t = texts(l);
            for text in [t.blocked_in_wechat, t.save_and_scan, t.scan_with] {
                assert!(!text.contains("Alipay"), "{l:?}: {text}");
            }
        }
    }
}
