using System.Diagnostics;
using TokenAuth.Credentials;
using TokenAuth.Errors;
using TokenAuth.Providers;
using TokenAuth.Tokens;
using Xunit;

namespace TokenAuth.Tests;

/// <summary>
/// A File: source that blocks (a FIFO nobody writes, a hung network mount) ends with the token request's time and
/// with the caller's cancellation (Ctrl+C). A FIFO stands in for both, on Unix; the upper bound only keeps a hang
/// from stalling the run.
/// </summary>
public sealed class BlockingAssertionSourceTests : IAsyncLifetime
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);
    private static readonly bool OnUnix = Path.DirectorySeparatorChar == '/';

    private readonly string _fifo = Path.Combine(Path.GetTempPath(), "tokenauth-fifo-" + Guid.NewGuid().ToString("N"));
    private ProviderDefinition _definition = null!;

    public Task InitializeAsync()
    {
        _definition = ProviderDefinitionLoader.LoadFile(Path.Combine(AppContext.BaseDirectory, "examples", "oauth2-federated.json"));
        if (OnUnix)
        {
            using var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", _fifo) { UseShellExecute = false })!;
            mkfifo.WaitForExit();
        }

        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (!OnUnix)
        {
            return;
        }

        // The reader left blocked on the FIFO ends once a writer opens and closes it.
        var release = Task.Run(() => new FileStream(_fifo, FileMode.Open, FileAccess.Write).Dispose());
        await Task.WhenAny(release, Task.Delay(TimeSpan.FromSeconds(5)));
        File.Delete(_fifo);
    }

    [Fact]
    public async Task A_FIFO_nobody_writes_ends_within_the_token_requests_time()
    {
        if (!OnUnix)
        {
            return;
        }

        await using var harness = await Harness.StartAsync(configureEngine: options => options with { TokenTimeout = TimeSpan.FromMilliseconds(300) });

        var call = Task.Run(() => harness.Engine.GetTokenAsync(Request(harness), log: harness.Log).AsTask());

        Assert.Same(call, await Task.WhenAny(call, Task.Delay(HangGuard)));
        var error = await Expect.Throws<ClientAssertionException>(() => call);
        Assert.Contains($"no client assertion from File:{_fifo}: none came within the token request's 0.3 s", error.Message);
        Assert.Equal(0, harness.Count("oauth2", "token"));
    }

    [Fact]
    public async Task A_FIFO_nobody_writes_ends_within_the_callers_time_naming_the_source_not_the_provider()
    {
        if (!OnUnix)
        {
            return;
        }

        await using var harness = await Harness.StartAsync();

        var call = Task.Run(() => harness.Engine.GetTokenAsync(Request(harness), log: harness.Log, timeout: TimeSpan.FromMilliseconds(300)).AsTask());

        Assert.Same(call, await Task.WhenAny(call, Task.Delay(HangGuard)));
        var error = await Expect.Throws<ClientAssertionException>(() => call);
        Assert.Contains($"no client assertion from File:{_fifo}: none came within the call's 0.3 s", error.Message);
    }

    [Fact]
    public async Task A_FIFO_nobody_writes_ends_when_the_caller_cancels()
    {
        if (!OnUnix)
        {
            return;
        }

        await using var harness = await Harness.StartAsync();
        using var cancellation = new CancellationTokenSource();
        harness.Log.Written += message =>
        {
            if (message.Contains("getting a client assertion from File:"))
            {
                cancellation.Cancel();
            }
        };

        var call = Task.Run(() => harness.Engine.GetTokenAsync(Request(harness), log: harness.Log, cancellationToken: cancellation.Token).AsTask());

        Assert.Same(call, await Task.WhenAny(call, Task.Delay(HangGuard)));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
    }

    private TokenRequest Request(Harness harness) =>
        new(ProviderTarget.Resolve(_definition, baseUri: harness.Emulator.RootUri.ToString()), new ProviderCredential(clientId: "demo-federated-client"),
            assertionSource: ClientAssertionSource.Parse("File:" + _fifo));
}
