/** react-i18next with the browser's language: zh-CN where the browser asks for Chinese
 * (and by default), English otherwise; the choice made in the header is remembered. */
import i18n from "i18next";
import LanguageDetector from "i18next-browser-languagedetector";
import { initReactI18next } from "react-i18next";
import en from "./locales/en.json";
import zhCN from "./locales/zh-CN.json";

export const LANGUAGES = ["zh-CN", "en"] as const;

void i18n
  .use(LanguageDetector)
  .use(initReactI18next)
  .init({
    resources: { "zh-CN": { translation: zhCN }, en: { translation: en } },
    supportedLngs: LANGUAGES,
    fallbackLng: "zh-CN",
    interpolation: { escapeValue: false }, // React escapes
    detection: {
      order: ["querystring", "localStorage", "navigator"],
      lookupQuerystring: "lang",
      lookupLocalStorage: "crm.language",
      caches: ["localStorage"],
      convertDetectedLanguage: (language: string) => (language.toLowerCase().startsWith("zh") ? "zh-CN" : language.toLowerCase().startsWith("en") ? "en" : language),
    },
  });

export default i18n;
