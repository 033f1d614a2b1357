/** The shell: the locale, who is signed in, the header, and the page for the path. */
import { App as AntApp, Button, ConfigProvider, Layout, Segmented, Space, Spin, Typography } from "antd";
import enUS from "antd/locale/en_US";
import zhCN from "antd/locale/zh_CN";
import { lazy, Suspense, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { speakAs } from "./api/client";
import { forgetBoard, prefetchBoard } from "./prefetch";
import { navigate, usePath, useSearch } from "./router";
import * as sessions from "./session";
import type { Session } from "./session";
import Bell from "./Bell";

// the sign-in form brings Ant Design's form, select and input with it: a signed-in user's
// first screen (the board) needs none of them, so they load only when the form is shown
const SignIn = lazy(() => import("./pages/SignIn"));
const BoardPage = lazy(() => import("./pages/Board"));
const DealPage = lazy(() => import("./pages/Deal"));
const QueuePage = lazy(() => import("./pages/Queue"));
const PoolPage = lazy(() => import("./pages/Pool"));
const DealListPage = lazy(() => import("./pages/DealList"));
const ImportsPage = lazy(() => import("./pages/Imports"));
// the charts' pages bring echarts with them: it loads only when one is opened
const ForecastPage = lazy(() => import("./pages/Forecast"));
const ReportsPage = lazy(() => import("./pages/Reports"));
const WhatIfPage = lazy(() => import("./pages/WhatIf"));
const AuditPage = lazy(() => import("./pages/Audit"));
const StageEditorPage = lazy(() => import("./pages/StageEditor"));
const ProductsPage = lazy(() => import("./pages/Products"));
const LeadsPage = lazy(() => import("./pages/Leads"));
const PartnersPage = lazy(() => import("./pages/Partners"));
const RegistrationsPage = lazy(() => import("./pages/Registrations"));
const AssignmentRulesPage = lazy(() => import("./pages/AssignmentRules"));
const NotificationsPage = lazy(() => import("./pages/Notifications"));
const MyDayPage = lazy(() => import("./pages/MyDay"));
const ActivityReportPage = lazy(() => import("./pages/ActivityReport"));
const AccountsPage = lazy(() => import("./pages/Accounts"));
// the header's search box brings the select machinery with it: it loads after the first screen
const SearchBox = lazy(() => import("./pages/SearchBox"));
const ContactsPage = lazy(() => import("./pages/Contacts"));

/** `/deals/{id}/audit`: the deal's id, or null for any other path. */
function auditedDeal(path: string): string | null {
  const found = /^\/deals\/([^/]+)\/audit$/.exec(path);
  return found ? decodeURIComponent(found[1]) : null;
}

/** Ant Design's defaults, darkened where their contrast falls below WCAG AA (axe checks it). */
const THEME = {
  // hover states too keep white text at 4.5:1 or more (Ant Design's derived hover, #4096ff, gives 3:1)
  token: { colorPrimary: "#0958d9", colorPrimaryHover: "#1d63d6", colorLink: "#0958d9", colorLinkHover: "#1d63d6", colorInfo: "#0958d9", colorTextSecondary: "rgba(0,0,0,0.65)", colorTextDescription: "rgba(0,0,0,0.65)", colorTextTertiary: "rgba(0,0,0,0.62)" },
};

function initialSession(): Session | null {
  const direct = sessions.fromQuery(window.location.search);
  if (direct) {
    sessions.save(direct);
    const rest = new URLSearchParams(window.location.search);
    for (const name of ["as", "role", "teams", "partner"]) rest.delete(name);
    const query = rest.toString();
    const home = sessions.isPartner(direct) ? "/registrations" : "/board";
    window.history.replaceState(null, "", `${home}${query ? `?${query}` : ""}`);
  }
  const session = direct ?? sessions.load();
  speakAs(session);
  const path = window.location.pathname;
  const elsewhere = ["/signin", "/queue", "/pool", "/deals", "/imports", "/forecast", "/reports", "/whatif", "/stages", "/products", "/leads", "/partners", "/assignment-rules", "/notifications", "/my-day", "/activity", "/accounts", "/contacts"];
  if (session && !sessions.isPartner(session) && !path.startsWith("/deals/") && !path.startsWith("/registrations") && !elsewhere.includes(path)) {
    prefetchBoard(session); // the board's data and its code load side by side
    void import("./pages/Board");
  }
  return session;
}

// at start-up, before the first render, so the board's data is on its way at once
const startup = initialSession();

export default function App() {
  const { t, i18n } = useTranslation();
  const [session, setSession] = useState<Session | null>(startup);
  const path = usePath();
  const search = useSearch();
  const language = i18n.resolvedLanguage ?? "zh-CN";
  // a partner's user is offered only its registrations: none of the staff's pages
  const staff = session !== null && !sessions.isPartner(session);

  useEffect(() => {
    if (path !== "/" && path !== "/board") forgetBoard();
  }, [path]);

  useEffect(() => {
    document.documentElement.lang = language;
    document.title = t("app.title");
  }, [language, t]);

  const signIn = (next: Session) => {
    sessions.save(next);
    speakAs(next);
    setSession(next);
    navigate(sessions.isPartner(next) ? "/registrations" : "/board");
  };
  const signOut = () => {
    sessions.clear();
    speakAs(null);
    setSession(null);
    navigate("/signin");
  };

  return (
    <ConfigProvider locale={language === "en" ? enUS : zhCN} theme={THEME}>
      <AntApp>
        <Layout style={{ minHeight: "100vh" }}>
          <Layout.Header style={{ display: "flex", alignItems: "center", gap: 16, background: "#001529" }}>
            <Typography.Title level={4} style={{ color: "#fff", margin: 0, flex: "none" }}>
              {t("app.title")}
            </Typography.Title>
            {session && sessions.isPartner(session) && (
              <>
                <Button type="link" onClick={() => navigate("/registrations")} style={{ color: "#fff" }}>
                  {t("app.registrations")}
                </Button>
                <Button type="link" onClick={() => navigate("/registrations/new")} style={{ color: "#fff" }}>
                  {t("app.registerDeal")}
                </Button>
              </>
            )}
            {session && staff && (
              <Button type="link" onClick={() => navigate("/board")} style={{ color: "#fff" }}>
                {t("app.board")}
              </Button>
            )}
            {session && staff && (
              <Button type="link" onClick={() => navigate("/deals")} style={{ color: "#fff" }}>
                {t("app.list")}
              </Button>
            )}
            {session && staff && (
              <Button type="link" onClick={() => navigate("/my-day")} style={{ color: "#fff" }}>
                {t("app.myDay")}
              </Button>
            )}
            {session && staff && (
              <Button type="link" onClick={() => navigate("/pool")} style={{ color: "#fff" }}>
                {t("app.pool")}
              </Button>
            )}
            {session && staff && sessions.canRegister(session) && (
              <Button type="link" onClick={() => navigate("/imports")} style={{ color: "#fff" }}>
                {t("app.imports")}
              </Button>
            )}
            {session && sessions.canSeeQueue(session) && (
              <Button type="link" onClick={() => navigate("/queue")} style={{ color: "#fff" }}>
                {t("app.queue")}
              </Button>
            )}
            {session && staff && (
              <Button type="link" onClick={() => navigate("/leads")} style={{ color: "#fff" }}>
                {t("app.leads")}
              </Button>
            )}
            {session && staff && (
              <Button type="link" onClick={() => navigate("/accounts")} style={{ color: "#fff" }}>
                {t("app.accounts")}
              </Button>
            )}
            {session && staff && (
              <Button type="link" onClick={() => navigate("/contacts")} style={{ color: "#fff" }}>
                {t("app.contacts")}
              </Button>
            )}
            {session && staff && (
              <Button type="link" onClick={() => navigate("/forecast")} style={{ color: "#fff" }}>
                {t("app.forecast")}
              </Button>
            )}
            {session && staff && (
              <Button type="link" onClick={() => navigate("/activity")} style={{ color: "#fff" }}>
                {t("app.activity")}
              </Button>
            )}
            {session && sessions.canSeeReports(session) && (
              <Button type="link" onClick={() => navigate("/reports")} style={{ color: "#fff" }}>
                {t("app.reports")}
              </Button>
            )}
            {session && sessions.canRunWhatIf(session) && (
              <Button type="link" onClick={() => navigate("/whatif")} style={{ color: "#fff" }}>
                {t("app.whatif")}
              </Button>
            )}
            {session && staff && (
              <Button type="link" onClick={() => navigate("/products")} style={{ color: "#fff" }}>
                {t("app.products")}
              </Button>
            )}
            {session && sessions.canSeePartners(session) && (
              <Button type="link" onClick={() => navigate("/partners")} style={{ color: "#fff" }}>
                {t("app.partners")}
              </Button>
            )}
            {session && sessions.canEditStages(session) && (
              <Button type="link" onClick={() => navigate("/stages")} style={{ color: "#fff" }}>
                {t("app.stages")}
              </Button>
            )}
            {session && sessions.canSeeAssignmentRules(session) && (
              <Button type="link" onClick={() => navigate("/assignment-rules")} style={{ color: "#fff" }}>
                {t("app.assignmentRules")}
              </Button>
            )}
            <span style={{ flex: 1 }} />
            {session && staff && (
              <Suspense fallback={null}>
                <SearchBox />
              </Suspense>
            )}
            <Space>
              <Segmented
                aria-label={t("app.language")}
                value={language}
                onChange={(value) => void i18n.changeLanguage(String(value))}
                options={[
                  { label: "中文", value: "zh-CN" },
                  { label: "English", value: "en" },
                ]}
              />
              {session && (
                <>
                  <Bell who={session} />
                  <Typography.Text style={{ color: "#fff" }}>
                    {t("app.signedInAs", { user: session.userId, role: t(`roles.${session.role}`) })}
                    {session.partner ? ` · ${session.partner}` : ""}
                  </Typography.Text>
                  <Button onClick={signOut}>{t("app.signOut")}</Button>
                </>
              )}
            </Space>
          </Layout.Header>
          <Layout.Content style={{ padding: 16 }}>
            {!session || path === "/signin" ? (
              <Suspense fallback={<Spin />}>
                <SignIn initial={session} onSignIn={signIn} />
              </Suspense>
            ) : (
              <Suspense fallback={<Spin />}>
                {path === "/notifications" ? (
                  <NotificationsPage session={session} />
                ) : sessions.isPartner(session) ? (
                  <RegistrationsPage key={path} registerNow={path === "/registrations/new"} />
                ) : path === "/queue" ? (
                  <QueuePage session={session} />
                ) : path === "/my-day" ? (
                  <MyDayPage session={session} />
                ) : path === "/activity" ? (
                  <ActivityReportPage session={session} />
                ) : path === "/pool" ? (
                  <PoolPage session={session} />
                ) : path === "/forecast" ? (
                  <ForecastPage session={session} />
                ) : path === "/reports" ? (
                  <ReportsPage />
                ) : path === "/whatif" ? (
                  <WhatIfPage />
                ) : path === "/imports" ? (
                  <ImportsPage session={session} />
                ) : path === "/deals" ? (
                  <DealListPage session={session} />
                ) : path === "/products" ? (
                  <ProductsPage session={session} />
                ) : path === "/leads" ? (
                  <LeadsPage session={session} />
                ) : path === "/accounts" ? (
                  <AccountsPage key={search} />
                ) : path === "/contacts" ? (
                  <ContactsPage key={search} />
                ) : path === "/partners" ? (
                  <PartnersPage />
                ) : path === "/assignment-rules" ? (
                  <AssignmentRulesPage session={session} />
                ) : path === "/stages" ? (
                  <StageEditorPage session={session} />
                ) : auditedDeal(path) ? (
                  <AuditPage key={path} dealId={auditedDeal(path)!} />
                ) : path.startsWith("/deals/") ? (
                  <DealPage key={path} dealId={decodeURIComponent(path.slice("/deals/".length))} session={session} />
                ) : (
                  <BoardPage session={session} />
                )}
              </Suspense>
            )}
          </Layout.Content>
        </Layout>
      </AntApp>
    </ConfigProvider>
  );
}
