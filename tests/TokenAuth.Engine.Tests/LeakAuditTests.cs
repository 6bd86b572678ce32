using Xunit;

namespace TokenAuth.Tests;

/// <summary>
/// Runs after every other test (see <see cref="LeakAuditLast"/>): no exception text or log line the suite produced
/// may contain a credential's secret or any token the emulators issued.
/// </summary>
[Collection(LeakAuditCollection.Name)]
public sealed class LeakAuditTests
{
    internal static List<string> Leaks(IEnumerable<string> visibleText, IEnumerable<string> secrets) =>
        (from text in visibleText
         from secret in secrets
         where text.Contains(secret, StringComparison.Ordinal)
         select $"a secret starting '{secret[..Math.Min(4, secret.Length)]}' appears in: {text[..Math.Min(200, text.Length)]}").ToList();

    [Fact]
    public void No_secret_or_token_appears_in_any_message_or_log_line_of_the_suite()
    {
        var text = LeakEvidence.VisibleText.ToList();
        var secrets = LeakEvidence.Secrets.Keys.ToList();

        // The audit means something only if the suite left evidence behind.
        Assert.True(text.Count > 100, $"only {text.Count} messages and log lines were collected");
        Assert.True(secrets.Count > 100, $"only {secrets.Count} secrets and tokens were collected");
        Assert.Empty(Leaks(text, secrets));
    }

    [Fact]
    public void The_audit_finds_a_planted_leak()
    {
        var leaks = Leaks(["GET /x failed: Bearer tk_planted_value", "nothing here"], ["tk_planted_value"]);

        Assert.Single(leaks);
        Assert.DoesNotContain("planted_value'", leaks[0]);
    }
}
