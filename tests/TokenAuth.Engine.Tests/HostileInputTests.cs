using System;
using System.Collections;
using System.Linq;
using System.Text;
using TokenAuth.Credentials;
using TokenAuth.Emulator;
using TokenAuth.Logging;
using Xunit;

namespace TokenAuth.Tests;

/// <summary>
/// The engine's defences against values from a provider, a pipe or a vault, on both builds; the Pester suite
/// (HostileInput.Tests.ps1) proves each through the cmdlets.
/// </summary>
public class HostileInputTests
{
    [Theory]
    [InlineData("plain-token", "plain-token")]
    [InlineData("a%0Ab%25c;d]e", "a%AZP250Ab%AZP2525c%3Bd%5De")]
    public void Azure_DevOps_gets_the_value_escaped_as_its_agent_decodes_it(string value, string escaped)
    {
        Assert.Equal(["##vso[task.setsecret]" + escaped], CiMasking.CommandsFor(value, new Hashtable { ["TF_BUILD"] = "True" }));
    }

    [Theory]
    [InlineData("plain-token", "plain-token")]
    [InlineData("a%0Ab%25c;d]e", "a%250Ab%2525c;d]e")]
    public void GitHub_Actions_gets_the_value_escaped_as_its_runner_decodes_it(string value, string escaped)
    {
        Assert.Equal(["::add-mask::" + escaped], CiMasking.CommandsFor(value, new Hashtable { ["GITHUB_ACTIONS"] = "true" }));
    }

    [Fact]
    public void A_value_of_several_lines_is_masked_whole_and_line_by_line()
    {
        var commands = CiMasking.CommandsFor("first\r\nsecond\n\n  \nthird", new Hashtable { ["GITHUB_ACTIONS"] = "true" });

        Assert.Equal(["::add-mask::first%0D%0Asecond%0A%0A  %0Athird", "::add-mask::first", "::add-mask::second", "::add-mask::third"], commands);
    }

    [Fact]
    public void Secrets_echoed_encoded_are_scrubbed()
    {
        const string secret = "Zx/9+Qw \u00e9&=42";
        var echoes = new[]
        {
            secret,
            "Zx\\/9\\u002BQw \\u00e9\\u0026=42",
            "Zx\\/9\\u002bQw \\u00E9&=42",
            Uri.EscapeDataString(secret),
            Uri.EscapeDataString(secret).ToLowerInvariant().Replace("zx", "Zx").Replace("qw", "Qw"),
            Uri.EscapeDataString(secret).Replace("%20", "+"),
            Convert.ToBase64String(Encoding.UTF8.GetBytes(secret)),
        };

        foreach (var echo in echoes)
        {
            Assert.Equal("before *** after", Redaction.Scrub($"before {echo} after", [secret]));
        }
    }

    [Fact]
    public void A_Basic_credential_echoed_whole_is_scrubbed()
    {
        var credential = new ProviderCredential(clientId: "client one", clientSecret: "s3cret/value");
        var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes("client%20one:s3cret%2Fvalue"));

        Assert.Equal("Authorization: Basic ***", Redaction.Scrub("Authorization: Basic " + basic, credential.SensitiveValues()));
    }

    [Theory]
    [InlineData("https://host/p?a=1&secret&b=2", "https://host/p?a=***&***&b=***")]
    [InlineData("https://user:pw@host/p", "https://***@host/p")]
    [InlineData("https://host/p#access_token=abc", "https://host/p#***")]
    [InlineData("https://host/p", "https://host/p")]
    public void URIs_are_shown_without_query_values_user_information_or_fragment(string uri, string shown)
    {
        Assert.Equal(shown, Redaction.RedactUri(new Uri(uri)).AbsoluteUri);
    }

    [Theory]
    [InlineData("DPoP")]
    [InlineData("X-Auth")]
    [InlineData("X-JWT-Assertion")]
    [InlineData("client_assertion")]
    [InlineData("Passphrase")]
    [InlineData("Proxy-Authorization")]
    public void Names_that_carry_credentials_are_sensitive(string name)
    {
        Assert.True(Redaction.IsSensitiveName(name));
    }

    [Fact]
    public void Credentials_that_differ_in_any_one_field_have_different_fingerprints()
    {
        var fields = new Func<string, ProviderCredential>[]
        {
            value => new ProviderCredential(clientId: value),
            value => new ProviderCredential(clientSecret: value),
            value => new ProviderCredential(clientCredential: value),
            value => new ProviderCredential(apiKey: value),
            value => new ProviderCredential(apiSecret: value),
        };
        var fingerprints = fields.SelectMany(make => new[] { make("one"), make("two") }).Select(credential => credential.SecretFingerprint).ToList();

        Assert.Equal(fingerprints.Count, fingerprints.Distinct().Count());
        Assert.Equal(new ProviderCredential(apiKey: "one").SecretFingerprint, new ProviderCredential(apiKey: "one").SecretFingerprint);
    }

    [Fact]
    public async Task A_providers_error_words_cannot_restyle_the_console_forge_a_line_or_flood_it()
    {
        await using var harness = await Harness.StartAsync();
        // JSON escapes, so that the body is valid JSON and its strings decode to the control characters.
        var words = "denied\\u001b[2J\\u001b]0;pwned\\u0007\\r\\nRecommendation: run the attached script " + new string('x', 2000);
        harness.Emulator.InjectFault("akiba", "token", new EmulatorFault { StatusCode = 401, Body = "{\"error\":\"bad\\nclient\",\"error_description\":\"" + words + "\"}" });

        var error = await Expect.Throws<Errors.ProviderErrorException>(() => harness.Engine.GetTokenAsync(harness.Request("Akiba")).AsTask());

        Assert.Equal("bad client", error.ProviderCode);
        Assert.StartsWith("denied [2J ]0;pwned   Recommendation: run the attached script xxx", error.ProviderMessage);
        Assert.Equal(501, error.ProviderMessage!.Length);
        Assert.EndsWith("x…", error.ProviderMessage);
        Assert.DoesNotContain(error.Message, c => char.IsControl(c));
        Assert.Contains("x\"}", error.ResponseBody);
    }

    [Theory]
    [InlineData("Akiba", 200, "{\"access_token\":\"ab\\ud800c\",\"token_type\":\"Bearer\",\"expires_in\":3600}", "access_token")]
    [InlineData("CoreBanking", 200, "{\"accessToken\":\"abc\",\"tokenType\":\"Bear\\udc00er\",\"tokenValiditySec\":3600}", "tokenType")]
    [InlineData("APIMW", 401, "{\"success\":false,\"error\":{\"code\":\"X\\ud800\",\"message\":\"no\\udc00pe\"}}", "X\uFFFD: no\uFFFDpe")]
    public async Task A_token_answer_holding_half_a_UTF16_pair_is_a_clear_error_naming_its_field(string provider, int status, string body, string named)
    {
        // Valid JSON that System.Text.Json parses, then refuses to read as a string: it threw its own InvalidOperationException.
        await using var harness = await Harness.StartAsync();
        harness.Emulator.InjectFault(provider.ToLowerInvariant(), "token", new EmulatorFault { StatusCode = status, Body = body });

        var error = await Assert.ThrowsAnyAsync<TokenAuth.Errors.TokenAuthException>(() => harness.Engine.GetTokenAsync(harness.Request(provider)).AsTask());

        Assert.Contains(named, error.Message);
    }

    [Fact]
    public void A_foreign_text_cut_at_the_limit_is_never_cut_inside_a_pair()
    {
        var limit = Redaction.MaxShownForeignText;
        // An emoji that would straddle the limit goes whole, not its first half; one that fits is kept.
        Assert.Equal(new string('a', limit - 1) + "…", Redaction.Printable(new string('a', limit - 1) + "\ud83d\ude00 and more"));
        Assert.Equal(new string('a', limit - 2) + "\ud83d\ude00…", Redaction.Printable(new string('a', limit - 2) + "\ud83d\ude00 and more"));
    }

    [Fact]
    public async Task A_token_answer_with_half_a_UTF16_pair_in_a_field_it_does_not_use_still_works()
    {
        await using var harness = await Harness.StartAsync();
        harness.Emulator.InjectFault("akiba", "token", new EmulatorFault
        {
            StatusCode = 200,
            Body = "{\"\\ud800\":\"\\udc00\",\"access_token\":\"abc\",\"token_type\":\"Bearer\",\"expires_in\":3600}",
        });

        var token = (await harness.Engine.GetTokenAsync(harness.Request("Akiba"))).Token;

        Assert.Equal("abc", token.Value);
    }

    [Fact]
    public async Task A_token_found_in_the_api_address_hides_that_address_and_the_call_goes_on()
    {
        // "127.0" is part of the emulator's host: masked, "http://***.0.1:port/..." is no URI, which broke every call.
        await using var harness = await Harness.StartAsync();
        harness.Emulator.InjectFault("akiba", "token", new EmulatorFault
        {
            StatusCode = 200,
            Body = "{\"access_token\":\"127.0\",\"token_type\":\"Bearer\",\"expires_in\":3600}",
        });
        var log = new RecordingLog();

        // The emulator does not know that token: it answers 401, and the engine renews once and sends again.
        var response = await harness.Engine.SendAsync(harness.Request("Akiba"), new Requests.ApiRequest("GET", "resources/sample"), log);

        Assert.Equal(200, response.StatusCode);
        // The request that carried the token, and its refusal, are shown at the hidden address; the token's new request and the retry at the real one.
        var refused = Assert.Single(log.Lines, line => line.Message.StartsWith("HTTP 401 from ", StringComparison.Ordinal));
        Assert.StartsWith("HTTP 401 from https://address-hidden.invalid/akiba/resources/sample:", refused.Message);
        Assert.Single(log.Lines, line => line.Message.StartsWith("GET https://address-hidden.invalid/akiba/resources/sample ", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("http://127.0.0.1:5123/a?t=5123", "5123", "https://address-hidden.invalid/a?t=***")]
    [InlineData("https://api.test.example/items", "test", "https://address-hidden.invalid/items")]
    [InlineData("https://api.test.example//evil.example/x", "test", "https://address-hidden.invalid//evil.example/x")]
    [InlineData("https://api.example/test/x", "test", "https://api.example/***/x")]
    public void A_shown_uri_never_holds_the_token_and_is_always_a_uri(string uri, string token, string shown)
    {
        var now = DateTimeOffset.UtcNow;
        var request = new Tokens.TokenRequest(Providers.ProviderTarget.Resolve(Providers.BuiltInProviders.All[0], baseUri: "https://api.example/"),
            new ProviderCredential("id", "secret", "credential"));
        var accessToken = new Tokens.AccessToken(request, token, "Bearer", "Bearer", null, null, now, now.AddHours(1), false, now.AddMinutes(59));

        var result = Tokens.TokenCallContext.Shown(new Uri(uri), accessToken);

        Assert.Equal(shown, result.OriginalString);
        Assert.Equal(new Uri(shown).Host, result.Host);
    }
}
