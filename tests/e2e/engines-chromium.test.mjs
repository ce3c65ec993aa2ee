//! The scenario catalogue (`catalogue.mjs`) in Chromium: one engine a file, so the three run side by side.
import { catalogue } from "./catalogue.mjs";

catalogue("chromium");
