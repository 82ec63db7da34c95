import { describe, expect, it } from "vitest";
import { loadServerConfig } from "../../src/config";

// The sign-in settings as the server reads them from its environment: what it accepts, and the
// message that names what to fix when it refuses to start.
describe("sign-in settings", () => {
  const oidc = { ORCH_OIDC_ISSUER: "https://idp.example.com", ORCH_OIDC_CLIENT_ID: "flightcontrol" };

  it("reads ORCH_OIDC_ALLOWED_DOMAINS as lower-case domains, a leading @ and spaces dropped", () => {
    expect(loadServerConfig({ ...oidc, ORCH_OIDC_ALLOWED_DOMAINS: " Example.COM, @partner.org ,," }).oidcAllowedDomains).toEqual([
      "example.com",
      "partner.org",
    ]);
    expect(loadServerConfig(oidc).oidcAllowedDomains).toEqual([]);
  });

  it.each(["example", "*.example.com", "user@example.com", "exa mple.com", "https://example.com"])("refuses %j as an allowed domain", (d) => {
    expect(() => loadServerConfig({ ...oidc, ORCH_OIDC_ALLOWED_DOMAINS: d })).toThrow(
      /^ORCH_OIDC_ALLOWED_DOMAINS must be comma-separated email domains such as example.com,example.org; ".*" is not one$/,
    );
  });

  it("reads ORCH_ADMIN_EMAILS in lower case", () => {
    expect(loadServerConfig({ ...oidc, ORCH_ADMIN_EMAILS: "Root@Example.com, ops@example.com" }).adminEmails).toEqual([
      "root@example.com",
      "ops@example.com",
    ]);
  });

  it("names what is missing or wrong in the provider settings", () => {
    expect(() => loadServerConfig({ ORCH_OIDC_ISSUER: "idp.example.com" })).toThrow(/ORCH_OIDC_ISSUER must be the provider's issuer URL/);
    expect(() => loadServerConfig({ ORCH_OIDC_ISSUER: "https://idp.example.com" })).toThrow(/ORCH_OIDC_CLIENT_ID is not/);
    expect(() => loadServerConfig({ ...oidc, ORCH_OIDC_SCOPES: "email profile" })).toThrow(/ORCH_OIDC_SCOPES must include openid/);
    expect(() => loadServerConfig({ ORCH_PUBLIC_URL: "https://fc.example.com/dashboard" })).toThrow(/ORCH_PUBLIC_URL must be an origin/);
  });
});
