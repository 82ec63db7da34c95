import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import type { DescService } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKeyService, Role } from "../../src/gen/flightcontrol/v1/api_key_pb";
import { JobService } from "../../src/gen/flightcontrol/v1/job_pb";
import { RunService } from "../../src/gen/flightcontrol/v1/run_pb";
import { WorkspaceService } from "../../src/gen/flightcontrol/v1/workspace_pb";
import { client } from "../../../testkit/clients";
import { ADMIN_KEY } from "../../../testkit/keys";
import { scriptedSignIn, startTestIdentityProvider, type TestIdentityProvider } from "../../../testkit/oidc-provider";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { codeOf, signedInClient, type SignedIn } from "../support/signed-in";

let idp: TestIdentityProvider;
let server: TestServer;
const ws: Record<"alpha" | "beta" | "gamma", string> = { alpha: "", beta: "", gamma: "" };

/** A client of this file's server that sends what the dashboard sends after signing in. */
const asPerson = <S extends DescService>(service: S, signIn: SignedIn, opts: { workspace?: string; csrf?: string | null } = {}) =>
  signedInClient(service, server.url, signIn, opts);

beforeAll(async () => {
  idp = await startTestIdentityProvider();
  server = await startTestServer({ oidc: idp.settings, adminEmails: ["root@example.com"] });
  idp.allowRedirect(`${server.url}/auth/callback`);
  for (const email of ["root@example.com", "alice@example.com", "bob@example.com"]) idp.addAccount({ email, name: email.split("@")[0] });
  idp.addAccount({ email: "eve@example.com", emailVerified: false });
  idp.addAccount({ email: "quiet@example.com", emailVerified: null });
  idp.addAccount({ email: "carol@example.com", name: "carol" });
  // Someone at the provider who set their email to Alice's.
  idp.addAccount({ login: "mallory", email: "alice@example.com", name: "mallory" });

  const admin = client(WorkspaceService, server.url, ADMIN_KEY);
  for (const name of ["alpha", "beta", "gamma"] as const) {
    ws[name] = (await admin.createWorkspace({ name }))!.workspace!.id;
    await client(JobService, server.url, ADMIN_KEY).createJob(
      { name: `${name}-job`, spec: { agent: "shell", prompt: `echo ${name}` } },
      { headers: { "x-workspace-id": ws[name] } },
    );
  }
  await admin.addMember({ workspaceId: ws.alpha, email: "Alice@Example.com", role: Role.OPERATOR });
  await admin.addMember({ workspaceId: ws.beta, email: "alice@example.com", role: Role.VIEWER });
  await admin.addMember({ workspaceId: ws.gamma, email: "carol@example.com", role: Role.ADMIN });
}, 60_000);
afterAll(async () => {
  await server?.cleanup();
  await idp?.close();
});

describe("signing in through the identity provider", () => {
  it("/auth/config says a provider is configured", async () => {
    expect(await (await fetch(`${server.url}/auth/config`)).json()).toEqual({ oidc: true });
  });

  it("/auth/login redirects to the provider with PKCE (S256), state and nonce, and keeps them in an HttpOnly cookie for /auth only", async () => {
    const res = await fetch(`${server.url}/auth/login?return_to=/runs`, { redirect: "manual" });
    expect(res.status).toBe(302);
    const to = new URL(res.headers.get("location")!);
    expect(to.origin).toBe(idp.issuer);
    expect(to.searchParams.get("code_challenge_method")).toBe("S256");
    expect(to.searchParams.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(to.searchParams.get("state")).toBeTruthy();
    expect(to.searchParams.get("nonce")).toBeTruthy();
    expect(to.searchParams.get("redirect_uri")).toBe(`${server.url}/auth/callback`);
    const [cookie] = res.headers.getSetCookie();
    expect(cookie).toMatch(/^fc_oidc=/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).toMatch(/Path=\/auth/);
    // The verifier is sealed: the cookie does not reveal it (nor the state) in clear.
    expect(cookie).not.toContain(to.searchParams.get("state")!);
  });

  it("a member lands where they started, with an HttpOnly session cookie and a readable CSRF cookie, and WhoAmI describes them", async () => {
    const alice = await scriptedSignIn(server.url, "alice@example.com", "/runs?status=failed");
    expect(alice.location).toBe("/runs?status=failed");
    const session = alice.setCookies.find((c) => c.startsWith("fc_session="))!;
    expect(session).toMatch(/HttpOnly/i);
    expect(session).toMatch(/SameSite=Lax/i);
    // Plain http here: a Secure cookie would never come back (over TLS it is Secure: below).
    expect(session).not.toMatch(/Secure/i);
    const csrf = alice.setCookies.find((c) => c.startsWith("fc_csrf="))!;
    expect(csrf).not.toMatch(/HttpOnly/i);
    expect(csrf).toMatch(/SameSite=Strict/i);

    const me = await asPerson(ApiKeyService, alice).whoAmI({});
    expect(me.person?.email).toBe("alice@example.com");
    expect(me.person?.name).toBe("alice");
    expect(me.apiKey).toBeUndefined();
    expect(me.instanceAdmin).toBe(false);
    // Without x-workspace-id: the first of their workspaces by name.
    expect(me.workspaceId).toBe(ws.alpha);
    expect(me.role).toBe(Role.OPERATOR);
    const inBeta = await asPerson(ApiKeyService, alice, { workspace: ws.beta }).whoAmI({});
    expect(inBeta.role).toBe(Role.VIEWER);
  });

  it("a member sees only their workspaces, and each with their role there", async () => {
    const alice = await scriptedSignIn(server.url, "alice@example.com");
    const names = (await asPerson(WorkspaceService, alice).listWorkspaces({})).workspaces.map((w) => w.name);
    expect(names).toEqual(["alpha", "beta"]);
    const jobs = async (workspace: string) => (await asPerson(JobService, alice, { workspace }).listJobs({})).jobs.map((j) => j.name);
    expect(await jobs(ws.alpha)).toEqual(["alpha-job"]);
    expect(await jobs(ws.beta)).toEqual(["beta-job"]);
    // Another workspace is NotFound, exactly like one that does not exist.
    expect(await codeOf(asPerson(JobService, alice, { workspace: ws.gamma }).listJobs({}))).toBe(`NotFound: workspace ${ws.gamma} not found`);
    expect(await codeOf(asPerson(WorkspaceService, alice).getWorkspace({ id: ws.gamma }))).toMatch(/^NotFound/);

    // Operator in alpha: may create jobs there; viewer in beta: may not; neither may manage members.
    expect(
      await codeOf(asPerson(JobService, alice, { workspace: ws.alpha }).createJob({ name: "mine", spec: { agent: "shell", prompt: "echo" } })),
    ).toBe("ok");
    expect(
      await codeOf(asPerson(JobService, alice, { workspace: ws.beta }).createJob({ name: "mine", spec: { agent: "shell", prompt: "echo" } })),
    ).toBe("PermissionDenied: the viewer role may not call flightcontrol.v1.JobService/CreateJob");
    expect(
      await codeOf(
        asPerson(WorkspaceService, alice, { workspace: ws.alpha }).addMember({ workspaceId: ws.alpha, email: "x@example.com", role: Role.VIEWER }),
      ),
    ).toMatch(/^PermissionDenied/);
    expect(
      (await asPerson(WorkspaceService, alice, { workspace: ws.beta }).listMembers({ workspaceId: ws.beta })).members.map((m) => m.email),
    ).toEqual(["alice@example.com"]);
  });

  it("a role change takes effect on the next request after the 2 s cache, without signing in again", async () => {
    const alice = await scriptedSignIn(server.url, "alice@example.com");
    await client(WorkspaceService, server.url, ADMIN_KEY).updateMember({ workspaceId: ws.beta, email: "alice@example.com", role: Role.ADMIN });
    try {
      await expect
        .poll(async () => (await asPerson(ApiKeyService, alice, { workspace: ws.beta }).whoAmI({})).role, { timeout: 5_000 })
        .toBe(Role.ADMIN);
    } finally {
      await client(WorkspaceService, server.url, ADMIN_KEY).updateMember({ workspaceId: ws.beta, email: "alice@example.com", role: Role.VIEWER });
    }
  });

  it("a request with the session cookie but without the CSRF header, or with a wrong one, is refused", async () => {
    const alice = await scriptedSignIn(server.url, "alice@example.com");
    expect(await codeOf(asPerson(JobService, alice, { csrf: null }).listJobs({}))).toMatch(/^Unauthenticated: missing or wrong x-csrf-token/);
    expect(await codeOf(asPerson(JobService, alice, { csrf: "A".repeat(43) }).listJobs({}))).toMatch(
      /^Unauthenticated: missing or wrong x-csrf-token/,
    );
    // Another session's CSRF token does not fit this one.
    const other = await scriptedSignIn(server.url, "alice@example.com");
    expect(await codeOf(asPerson(JobService, alice, { csrf: other.csrf }).listJobs({}))).toMatch(/^Unauthenticated/);
    // A bearer key wins over the cookie: the key's own rights, not the person's.
    const res = await client(ApiKeyService, server.url, ADMIN_KEY).whoAmI({}, { headers: { cookie: alice.cookie } });
    expect(res.person).toBeUndefined();
    expect(res.apiKey?.name).toBe("bootstrap admin");
  });

  it("a person named by ORCH_ADMIN_EMAILS is instance admin: every workspace, and may create them", async () => {
    const root = await scriptedSignIn(server.url, "root@example.com");
    const me = await asPerson(ApiKeyService, root).whoAmI({});
    expect(me.instanceAdmin).toBe(true);
    expect(me.person?.instanceAdmin).toBe(true);
    const names = (await asPerson(WorkspaceService, root).listWorkspaces({})).workspaces.map((w) => w.name);
    expect(names).toEqual(expect.arrayContaining(["alpha", "beta", "gamma", "default"]));
    const { workspace } = await asPerson(WorkspaceService, root).createWorkspace({ name: "made-by-root" });
    expect(await codeOf(asPerson(JobService, root, { workspace: workspace!.id }).listJobs({}))).toBe("ok");
    await asPerson(WorkspaceService, root).deleteWorkspace({ id: workspace!.id });
  });

  it("someone who is a member of no workspace is told so, by name, and sees no workspace", async () => {
    const bob = await scriptedSignIn(server.url, "bob@example.com");
    const me = await asPerson(ApiKeyService, bob).whoAmI({});
    expect(me.person?.email).toBe("bob@example.com");
    expect(me.workspaceId).toBe("");
    expect(me.instanceAdmin).toBe(false);
    expect((await asPerson(WorkspaceService, bob).listWorkspaces({})).workspaces).toEqual([]);
    expect(await codeOf(asPerson(RunService, bob).listRuns({}))).toBe(
      "PermissionDenied: bob@example.com is not a member of any workspace yet: ask a workspace admin to add bob@example.com",
    );
    expect(await codeOf(asPerson(RunService, bob, { workspace: ws.alpha }).listRuns({}))).toMatch(/^NotFound/);
  });

  it("an email the provider reports as unverified is refused, with the reason on the sign-in page", async () => {
    const eve = await scriptedSignIn(server.url, "eve@example.com");
    expect(eve.session).toBe("");
    const error = new URL(eve.location, server.url).searchParams.get("sign_in_error");
    expect(error).toBe("the identity provider reports eve@example.com as unverified; verify it there, then sign in again");
  });

  it("an email the provider does not say is verified is refused, naming the setting that accepts it", async () => {
    const quiet = await scriptedSignIn(server.url, "quiet@example.com");
    expect(quiet.session).toBe("");
    expect(new URL(quiet.location, server.url).searchParams.get("sign_in_error")).toMatch(
      /no email_verified claim.*ORCH_OIDC_TRUST_UNVERIFIED_EMAIL=1/,
    );
  });

  it("a person is their provider identity: another account claiming a known email does not become that person", async () => {
    await scriptedSignIn(server.url, "alice@example.com");
    const mallory = await scriptedSignIn(server.url, "mallory");
    expect(mallory.session).toBe("");
    expect(new URL(mallory.location, server.url).searchParams.get("sign_in_error")).toBe(
      "alice@example.com belongs to someone who signed in with another account at the identity provider; sign in with that account, or ask an instance admin",
    );
  });

  it("removing a member ends their open streams in that workspace, and the keys they made there", async () => {
    const carol = await scriptedSignIn(server.url, "carol@example.com");
    const { apiKey, key } = await asPerson(ApiKeyService, carol, { workspace: ws.gamma }).createApiKey({
      name: "carol's script",
      role: Role.OPERATOR,
    });
    expect(apiKey?.createdBy).toBe("carol@example.com");
    expect(apiKey?.workspaceId).toBe(ws.gamma);

    const watch = asPerson(RunService, carol, { workspace: ws.gamma }).watchRuns({});
    const it = watch[Symbol.asyncIterator]();
    expect((await it.next()).done).toBe(false);
    const ended = (async () => {
      try {
        while (!(await it.next()).done);
        return "ended cleanly";
      } catch (err) {
        return ConnectError.from(err).rawMessage;
      }
    })();
    // Demoted to viewer: her stream (opened as admin) ends, and the key she made goes.
    await client(WorkspaceService, server.url, ADMIN_KEY).updateMember({ workspaceId: ws.gamma, email: "carol@example.com", role: Role.VIEWER });
    expect(await ended).toMatch(/your membership of workspace .* changed/);
    expect(await codeOf(client(ApiKeyService, server.url, key).whoAmI({}))).toMatch(/^Unauthenticated/);

    // Removed: a stream she opened as viewer ends too, within the sweep's 2 s.
    const again = asPerson(RunService, carol, { workspace: ws.gamma }).watchRuns({});
    const it2 = again[Symbol.asyncIterator]();
    await expect.poll(async () => (await it2.next()).done === false, { timeout: 5_000 }).toBe(true);
    const ended2 = (async () => {
      try {
        while (!(await it2.next()).done);
        return "ended cleanly";
      } catch (err) {
        return Code[ConnectError.from(err).code];
      }
    })();
    await client(WorkspaceService, server.url, ADMIN_KEY).removeMember({ workspaceId: ws.gamma, email: "carol@example.com" });
    expect(await ended2).toBe("Unauthenticated");
  });

  it("a proxy's Basic Authorization does not hide the session; a provider's error text is not relayed", async () => {
    const alice = await scriptedSignIn(server.url, "alice@example.com");
    const me = await asPerson(ApiKeyService, alice).whoAmI({}, { headers: { authorization: "Basic dXNlcjpwYXNz" } });
    expect(me.person?.email).toBe("alice@example.com");

    const res = await fetch(
      `${server.url}/auth/callback?error=access_denied&error_description=${encodeURIComponent("Account locked: call +1-555-0100")}`,
      {
        redirect: "manual",
      },
    );
    const shown = new URL(res.headers.get("location")!, server.url).searchParams.get("sign_in_error");
    expect(shown).toBe("the identity provider did not sign you in (access_denied); try again, or ask your administrator");
  });

  it("a callback without the sign-in's own cookie (another browser, or replayed) is refused", async () => {
    const res = await fetch(`${server.url}/auth/callback?code=stolen&state=guessed`, { redirect: "manual" });
    expect(res.status).toBe(302);
    expect(new URL(res.headers.get("location")!, server.url).searchParams.get("sign_in_error")).toMatch(/expired or was started in another browser/);
    expect(res.headers.getSetCookie().some((c) => c.startsWith("fc_session=") && !c.startsWith("fc_session=;"))).toBe(false);
  });

  it("return_to cannot send the browser to another site", async () => {
    for (const evil of ["https://evil.example/", "//evil.example/", "/\\evil.example", "/\t/evil.example", "/\n/evil.example"]) {
      const alice = await scriptedSignIn(server.url, "alice@example.com", evil);
      expect(alice.location).toBe("/");
    }
  });

  it("signing out needs the CSRF header, ends the session and its open streams, and clears the cookies", async () => {
    const alice = await scriptedSignIn(server.url, "alice@example.com");
    expect((await fetch(`${server.url}/auth/logout`, { method: "POST", headers: { cookie: alice.cookie } })).status).toBe(403);

    const watch = asPerson(RunService, alice).watchRuns({});
    const first = await watch[Symbol.asyncIterator]().next();
    expect(first.done).toBe(false);
    const ended = (async () => {
      try {
        for await (const _ of watch);
        return "ended cleanly";
      } catch (err) {
        return Code[ConnectError.from(err).code];
      }
    })();

    const out = await fetch(`${server.url}/auth/logout`, { method: "POST", headers: { cookie: alice.cookie, "x-csrf-token": alice.csrf } });
    expect(out.status).toBe(204);
    const cleared = out.headers.getSetCookie();
    expect(cleared.find((c) => c.startsWith("fc_session="))).toMatch(/Max-Age=0/);
    expect(cleared.find((c) => c.startsWith("fc_csrf="))).toMatch(/Max-Age=0/);
    expect(await ended).toBe("Unauthenticated");
    expect(await codeOf(asPerson(ApiKeyService, alice).whoAmI({}))).toMatch(/^Unauthenticated: your session has ended/);
  });
});

describe("sign-in settings", () => {
  it("without a provider, /auth/config says so and /auth/login names the settings to set", async () => {
    const plain = await startTestServer();
    try {
      expect(await (await fetch(`${plain.url}/auth/config`)).json()).toEqual({ oidc: false });
      const res = await fetch(`${plain.url}/auth/login`, { redirect: "manual" });
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: string }).error).toMatch(/ORCH_OIDC_ISSUER, ORCH_OIDC_CLIENT_ID and ORCH_OIDC_CLIENT_SECRET/);
      // A cookie means nothing to a server without sign-in: the key is still demanded.
      expect(
        await codeOf(
          createClient(JobService, createConnectTransport({ baseUrl: plain.url, httpVersion: "1.1" })).listJobs(
            {},
            { headers: { cookie: "fc_session=x" } },
          ),
        ),
      ).toMatch(/^Unauthenticated: missing API key/);
    } finally {
      await plain.cleanup();
    }
  });

  it("the first person to sign in on a fresh install without ORCH_ADMIN_EMAILS becomes instance admin, and only they", async () => {
    const local = await startTestIdentityProvider();
    try {
      // Its own provider: the shared one allows the first server's redirect URI only.
      const s2 = await startTestServer({ oidc: local.settings });
      local.allowRedirect(`${s2.url}/auth/callback`);
      local.addAccount({ email: "first@example.com" });
      local.addAccount({ email: "second@example.com" });
      try {
        const first = await scriptedSignIn(s2.url, "first@example.com");
        const second = await scriptedSignIn(s2.url, "second@example.com");
        const again = await scriptedSignIn(s2.url, "first@example.com");
        const admin = async (s: { cookie: string; csrf: string }) =>
          (
            await createClient(ApiKeyService, createConnectTransport({ baseUrl: s2.url, httpVersion: "1.1" })).whoAmI(
              {},
              { headers: { cookie: s.cookie, "x-csrf-token": s.csrf } },
            )
          ).instanceAdmin;
        expect([await admin(first), await admin(second), await admin(again)]).toEqual([true, false, true]);

        // Once ORCH_ADMIN_EMAILS is set, it alone decides, for sessions already open too.
        await s2.stop();
        const s3 = await startTestServer({ oidc: local.settings, adminEmails: ["second@example.com"] }, s2.dataDir);
        try {
          const whoOn3 = async (s: { cookie: string; csrf: string }) =>
            (
              await createClient(ApiKeyService, createConnectTransport({ baseUrl: s3.url, httpVersion: "1.1" })).whoAmI(
                {},
                { headers: { cookie: s.cookie, "x-csrf-token": s.csrf } },
              )
            ).instanceAdmin;
          expect([await whoOn3(again), await whoOn3(second)]).toEqual([false, true]);
        } finally {
          await s3.stop();
        }
      } finally {
        await s2.cleanup();
      }
    } finally {
      await local.close();
    }
  });

  it("ORCH_OIDC_ALLOWED_DOMAINS admits only its email domains (and ORCH_ADMIN_EMAILS); narrowing it ends the sessions it leaves out", async () => {
    const local = await startTestIdentityProvider();
    for (const email of ["ann@example.com", "zed@elsewhere.net", "sub@mail.example.com", "boss@partner.org"]) local.addAccount({ email });
    const s1 = await startTestServer({ oidc: local.settings, oidcAllowedDomains: ["example.com"], adminEmails: ["boss@partner.org"] });
    try {
      local.allowRedirect(`${s1.url}/auth/callback`);
      const ann = await scriptedSignIn(s1.url, "ann@example.com");
      const boss = await scriptedSignIn(s1.url, "boss@partner.org");
      const refused = async (login: string) => {
        const attempt = await scriptedSignIn(s1.url, login);
        expect(attempt.session).toBe("");
        return new URL(attempt.location, s1.url).searchParams.get("sign_in_error");
      };
      expect(await refused("zed@elsewhere.net")).toBe(
        "zed@elsewhere.net may not sign in here: this Flight Control admits people with an email at example.com only (ORCH_OIDC_ALLOWED_DOMAINS); sign in with such an account, or ask an instance admin",
      );
      // A subdomain is another domain: mail.example.com is not example.com.
      expect(await refused("sub@mail.example.com")).toMatch(/^sub@mail\.example\.com may not sign in here/);

      const whoAmI = (url: string, s: { cookie: string; csrf: string }) =>
        codeOf(
          createClient(ApiKeyService, createConnectTransport({ baseUrl: url, httpVersion: "1.1" })).whoAmI(
            {},
            { headers: { cookie: s.cookie, "x-csrf-token": s.csrf } },
          ),
        );
      expect([await whoAmI(s1.url, ann), await whoAmI(s1.url, boss)]).toEqual(["ok", "ok"]);

      // The list narrowed to partner.org: Ann's open session ends at the restart; the admin's stays.
      await s1.stop();
      const s2 = await startTestServer({ oidc: local.settings, oidcAllowedDomains: ["partner.org"], adminEmails: ["boss@partner.org"] }, s1.dataDir);
      try {
        expect(await whoAmI(s2.url, ann)).toBe("Unauthenticated: your session has ended (signed out or expired); sign in again");
        expect(await whoAmI(s2.url, boss)).toBe("ok");
      } finally {
        await s2.stop();
      }
    } finally {
      await s1.cleanup();
      await local.close();
    }
  });

  it("behind TLS (ORCH_PUBLIC_URL https://…) every sign-in cookie is Secure", async () => {
    const tls = await startTestServer({ oidc: idp.settings, publicUrl: "https://flightcontrol.example" });
    try {
      const res = await fetch(`${tls.url}/auth/login`, { redirect: "manual" });
      expect(new URL(res.headers.get("location")!).searchParams.get("redirect_uri")).toBe("https://flightcontrol.example/auth/callback");
      expect(res.headers.getSetCookie()[0]).toMatch(/Secure/);
      const out = await fetch(`${tls.url}/auth/logout`, { method: "POST" });
      expect(out.status).toBe(204);
      expect(out.headers.getSetCookie().every((c) => /Secure/.test(c))).toBe(true);
    } finally {
      await tls.cleanup();
    }
  });
});
