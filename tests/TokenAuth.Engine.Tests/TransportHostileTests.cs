using TokenAuth.Logging;
using TokenAuth.Requests;
using Xunit;

namespace TokenAuth.Tests;

/// <summary>
/// Issue 28's transport points in the engine: what a hostile server's answer may put in front of the user. The Pester
/// suite (HostileInput3.Transport.Tests.ps1) proves each through the cmdlets.
/// </summary>
public class TransportHostileTests : IAsyncLifetime
{
    private Harness _harness = null!;

    public async Task InitializeAsync() => _harness = await Harness.StartAsync();

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task A_reason_phrase_with_escape_sequences_reaches_Verbose_and_the_response_printable()
    {
        var engine = new TokenAuthEngine(_harness.Engine.Options, _harness.Clock, new ReasonPhraseRewriter("OK\u001b[2J\u001b]0;owned\u0007"));
        var log = new RecordingLog(LogLevel.Verbose);

        var response = await engine.SendAsync(_harness.Request("APIMW"), new ApiRequest("GET", "resources/sample"), log);

        Assert.Equal(200, response.StatusCode);
        Assert.Equal("OK [2J ]0;owned ", response.ReasonPhrase);
        Assert.Contains(log.Messages, line => line.Contains("HTTP 200 OK [2J ]0;owned  in"));
        Assert.DoesNotContain(log.Messages, line => line.Any(char.IsControl));
    }

    /// <summary>Every answer from the emulator, with the reason phrase a hostile server would send.</summary>
    private sealed class ReasonPhraseRewriter(string reasonPhrase) : DelegatingHandler(
#if NETFRAMEWORK
        new HttpClientHandler { UseProxy = false, AllowAutoRedirect = false })
#else
        new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false })
#endif
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            response.ReasonPhrase = reasonPhrase;
            return response;
        }
    }
}
