using TokenAuth.Credentials;
using Xunit;

namespace TokenAuth.Tests;

/// <summary>The session's client assertion sources: each for the providers named for it, and never for a provider a piped object chose.</summary>
public sealed class SessionAssertionSourcesTests
{
    private static readonly ClientAssertionSource Entra = ClientAssertionSource.Parse("GitHubActions:api://AzureADTokenExchange");

    [Fact]
    public void A_source_goes_to_the_providers_named_for_it_and_no_other()
    {
        var sources = SessionAssertionSources.None.With(new[] { "Entra", "Graph" }, Entra);

        Assert.Same(Entra, sources.For("entra", namedByUser: true));
        Assert.Same(Entra, sources.For("Graph", namedByUser: true));
        Assert.Null(sources.For("Vendor", namedByUser: true));
    }

    [Fact]
    public void A_provider_a_piped_object_chose_gets_no_session_source_even_the_one_it_is_for() =>
        Assert.Null(SessionAssertionSources.None.With(new[] { "Entra" }, Entra).For("Entra", namedByUser: false));

    [Fact]
    public void A_source_is_cleared_for_the_providers_named_and_kept_for_the_others()
    {
        var sources = SessionAssertionSources.None.With(new[] { "Entra", "Graph" }, Entra).With(new[] { "Graph" }, null);

        Assert.Equal(new[] { "Entra" }, sources.Entries.Select(entry => entry.Key));
        Assert.Empty(SessionAssertionSources.None.Entries);
    }

    [Fact]
    public void The_callers_code_is_never_a_session_source() =>
        Assert.Throws<ArgumentException>(() => SessionAssertionSources.None.With(new[] { "Entra" }, ClientAssertionSource.OnCallerThread("a script block", "script 1", () => "x")));
}
