//! The counter's field (flow `payment_code`), fetched only by a widget on that flow: the "Payment
//! code" input a keyboard-wedge scanner types into (then Enter), the camera button where the
//! browser has `BarcodeDetector` (QR and Code 128; the camera released as soon as it is not
//! reading), and the note saying why the last code did not pay, in the widget's language. The wasm
//! decides everything else: this only reads text and hands it over (`send`).

const WORDS = {
  en: ["Payment code", "Scan with camera", "Code declined. Scan a new one.", "Not a payment code. Scan again."],
  "zh-CN": ["付款码", "用摄像头扫码", "付款码被拒，请扫新码。", "不是付款码，请重扫。"],
  "zh-TW": ["付款碼", "用相機掃碼", "付款碼被拒，請掃新碼。", "不是付款碼，請重掃。"],
  fr: ["Code de paiement", "Scanner avec la caméra", "Code refusé. Scannez-en un nouveau.", "Pas un code de paiement. Rescannez."],
  ja: ["支払いコード", "カメラで読み取る", "コードが拒否されました。新しいコードを。", "支払いコードではありません。"],
  ko: ["결제 코드", "카메라로 스캔", "코드가 거절되었습니다. 새 코드를 스캔하세요.", "결제 코드가 아닙니다."],
  de: ["Zahlungscode", "Mit Kamera scannen", "Code abgelehnt. Neuen Code scannen.", "Kein Zahlungscode. Erneut scannen."],
  es: ["Código de pago", "Escanear con la cámara", "Código rechazado. Escanee otro.", "No es un código de pago."],
  it: ["Codice di pagamento", "Scansiona con la fotocamera", "Codice rifiutato. Scansionane un altro.", "Non è un codice di pagamento."],
  nl: ["Betaalcode", "Scannen met camera", "Code geweigerd. Scan een nieuwe.", "Geen betaalcode. Scan opnieuw."],
};

let camera = null; // { stop() } while the camera reads

/** Styles through CSSOM (allowed under a strict style-src), in the widget's theme variables. */
const style = (el, css) => Object.assign(el.style, css);
const BOX = { font: "inherit", minHeight: "44px", borderRadius: "var(--wc-radius)", boxSizing: "border-box" };

/** Stops the camera and releases it. */
export function stop() {
  camera?.stop();
}

/** Builds the field in `slot` once, shows `note` ("declined" | "invalid" | ""), then clears the
 * input and gives it the focus. Each Enter sends the input's text; a read barcode is sent too. */
export function field(slot, lang, note, send) {
  if (!slot) return;
  const [name, scan, declined, invalid] = WORDS[lang] ?? WORDS.en;
  let form = slot.querySelector("form");
  if (!form) {
    form = document.createElement("form");
    style(form, { display: "flex", flexDirection: "column", gap: ".5rem", margin: "0" });
    const label = document.createElement("label");
    style(label, { display: "flex", flexDirection: "column", gap: ".25rem", fontWeight: "600" });
    const input = Object.assign(document.createElement("input"), { type: "text", inputMode: "numeric", autocomplete: "off", spellcheck: false, maxLength: 64 });
    input.setAttribute("enterkeyhint", "go");
    input.setAttribute("part", "code-input");
    style(input, { ...BOX, fontSize: "1.5rem", letterSpacing: ".05em", fontVariantNumeric: "tabular-nums", padding: ".5rem .75rem",
      border: "1px solid var(--wc-border)", background: "var(--wc-surface)", color: "var(--wc-text)" });
    label.append(name, input);
    const hint = Object.assign(document.createElement("p"), { className: "wc-hint" });
    hint.setAttribute("aria-live", "polite");
    form.append(label);
    if ("BarcodeDetector" in window) {
      const button = Object.assign(document.createElement("button"), { type: "button", className: "wc-secondary", textContent: scan });
      button.setAttribute("part", "button secondary");
      button.addEventListener("click", () => read(form, send));
      form.append(button);
    }
    form.append(hint);
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      send(input.value);
    });
    slot.append(form);
  }
  const hint = form.querySelector(".wc-hint");
  hint.textContent = note === "declined" ? declined : note === "invalid" ? invalid : "";
  hint.hidden = !hint.textContent;
  const input = form.querySelector("input");
  input.value = "";
  input.focus();
}

/** Reads barcodes with the camera, its picture under the field, until one is read. */
async function read(form, send) {
  stop();
  const video = Object.assign(document.createElement("video"), { className: "wc-camera", muted: true, playsInline: true });
  style(video, { width: "100%", maxHeight: "40vh", borderRadius: "var(--wc-radius)", background: "#000" });
  video.setAttribute("aria-hidden", "true");
  let stream = null;
  let timer = null;
  const mine = (camera = {
    stop() {
      clearTimeout(timer);
      stream?.getTracks().forEach((t) => t.stop());
      video.remove();
      if (camera === mine) camera = null;
    },
  });
  try {
    let detector;
    try {
      detector = new BarcodeDetector({ formats: ["qr_code", "code_128"] });
    } catch {
      detector = new BarcodeDetector();
    }
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    if (camera !== mine) return mine.stop();
    form.append(video);
    video.srcObject = stream;
    await video.play();
    const look = async () => {
      if (camera !== mine) return;
      const text = (await detector.detect(video).catch(() => []))[0]?.rawValue;
      if (text && camera === mine) {
        mine.stop();
        send(String(text));
      } else timer = setTimeout(look, 150);
    };
    look();
  } catch (e) {
    mine.stop();
    console.warn("wallet-checkout: the camera cannot read codes here", e);
  }
}
