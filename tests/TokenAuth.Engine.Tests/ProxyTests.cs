using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using TokenAuth.Emulator;
using TokenAuth.Http;
using TokenAuth.Requests;
using Xunit;

namespace TokenAuth.Tests;

/// <summary>A minimal HTTP/1.1 forward proxy on loopback that asks for Basic credentials before forwarding.</summary>
internal sealed class AuthenticatingProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
#if NETFRAMEWORK
    private readonly HttpClient _upstream = new(new HttpClientHandler { UseProxy = false, AllowAutoRedirect = false });
#else
    private readonly HttpClient _upstream = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false });
#endif
    private readonly CancellationTokenSource _stop = new();
    private readonly string _expectedAuthorization;
    private readonly Task _accepting;

    public AuthenticatingProxy(string user, string password)
    {
        _expectedAuthorization = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password));
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public Uri Address => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");

    /// <summary>Request lines forwarded, e.g. "GET http://127.0.0.1:1234/akiba/resources/sample".</summary>
    public ConcurrentQueue<string> Forwarded { get; } = new();

    public int Challenges;

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            var stream = client.GetStream();
            var reader = new StreamReader(stream, Encoding.ASCII);
            while (await reader.ReadLineAsync() is { Length: > 0 } requestLine)
            {
                var headers = new List<(string Name, string Value)>();
                while (await reader.ReadLineAsync() is { Length: > 0 } line)
                {
                    var colon = line.IndexOf(':');
                    headers.Add((line[..colon].Trim(), line[(colon + 1)..].Trim()));
                }

                var length = headers.Where(h => h.Name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)).Select(h => int.Parse(h.Value)).FirstOrDefault();
                var body = new char[length];
                for (var read = 0; read < length;)
                {
                    read += await reader.ReadAsync(body, read, length - read);
                }

                if (!headers.Any(h => h.Name.Equals("Proxy-Authorization", StringComparison.OrdinalIgnoreCase) && h.Value == _expectedAuthorization))
                {
                    Interlocked.Increment(ref Challenges);
                    await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n"));
                    continue;
                }

                var parts = requestLine.Split(' ');
                Forwarded.Enqueue(parts[0] + " " + parts[1]);
                if (parts[0] == "CONNECT")
                {
                    await TunnelAsync(stream, parts[1]);
                    return;
                }
                using var forward = new HttpRequestMessage(new HttpMethod(parts[0]), parts[1]);
                if (length > 0)
                {
                    forward.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
                }

                foreach (var (name, value) in headers.Where(h => !h.Name.StartsWith("Proxy-", StringComparison.OrdinalIgnoreCase) && h.Name != "Host" && h.Name != "Content-Length"))
                {
                    if (!forward.Headers.TryAddWithoutValidation(name, value))
                    {
                        forward.Content?.Headers.TryAddWithoutValidation(name, value);
                    }
                }

                using var response = await _upstream.SendAsync(forward);
                var responseBody = await response.Content.ReadAsByteArrayAsync();
                var head = new StringBuilder($"HTTP/1.1 {(int)response.StatusCode} {response.ReasonPhrase}\r\n");
                foreach (var header in response.Headers.Concat(response.Content.Headers).Where(h => h.Key != "Content-Length" && h.Key != "Transfer-Encoding"))
                {
                    head.Append(header.Key).Append(": ").Append(string.Join(", ", header.Value)).Append("\r\n");
                }

                head.Append($"Content-Length: {responseBody.Length}\r\n\r\n");
                await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()));
                await stream.WriteAsync(responseBody);
            }
        }
    }

    /// <summary>
    /// A CONNECT tunnel, to 127.0.0.1 whatever the host: the proxy resolves the emulator's ProxiedHostName
    /// (and any other name) to loopback, which the client itself never sends through a proxy.
    /// </summary>
    private static async Task TunnelAsync(NetworkStream client, string authority)
    {
        using var upstream = new TcpClient();
        await upstream.ConnectAsync(IPAddress.Loopback, int.Parse(authority[(authority.LastIndexOf(':') + 1)..]));
        await client.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 Connection established\r\n\r\n"));
        var server = upstream.GetStream();
        await Task.WhenAny(client.CopyToAsync(server), server.CopyToAsync(client));
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _accepting;
        _upstream.Dispose();
    }
}

public sealed class ProxyTests : IAsyncLifetime
{
    [Fact]
    public void Equal_connection_settings_share_one_client_and_different_ones_do_not()
    {
        static ConnectionSettings Through(string address, string password) =>
            new() { Proxy = new ProxySettings(new Uri(address), new NetworkCredential("ops", password)) };

        using var first = HttpClientPool.Acquire(Through("http://127.0.0.1:3128/", "pa55"));
        using var same = HttpClientPool.Acquire(Through("http://127.0.0.1:3128/", "pa55"));
        using var otherPassword = HttpClientPool.Acquire(Through("http://127.0.0.1:3128/", "other"));
        using var otherPort = HttpClientPool.Acquire(Through("http://127.0.0.1:3129/", "pa55"));
        using var skipping = HttpClientPool.Acquire(Through("http://127.0.0.1:3128/", "pa55") with { SkipCertificateCheck = true });

        Assert.Same(first.Client, same.Client);
        Assert.NotSame(first.Client, otherPassword.Client);
        Assert.NotSame(first.Client, otherPort.Client);
        Assert.NotSame(first.Client, skipping.Client);
    }

    [Fact]
    public void A_proxy_address_with_credentials_in_it_is_shown_without_them()
    {
        var proxy = new ProxySettings(new Uri("http://ops:pa55-in-uri@proxy.example:3128/"));

        Assert.Equal("http://proxy.example:3128/ as 'ops'", proxy.ToString());
        Assert.Equal("pa55-in-uri", proxy.Credential!.Password);
        Assert.DoesNotContain("pa55", new ConnectionSettings { Proxy = proxy }.ToString());
    }

    [Fact]
    public void A_proxy_address_that_is_not_one_is_refused_without_showing_what_it_holds()
    {
        // Without its scheme, user:password@host parses as a URI whose scheme is the user.
        var error = Assert.Throws<ArgumentException>(() => new ProxySettings(new Uri("ops:pa55-no-scheme@proxy.example:3128")));

        Assert.DoesNotContain("pa55-no-scheme", error.Message);
        Assert.Contains("not an absolute http:// or https:// URI", error.Message);
    }

    [Fact]
    public async Task Many_different_settings_retire_the_least_recently_used_clients_once_no_call_holds_them()
    {
        var status = _harness.Emulator.RootUri + "_emulator/";
        var held = HttpClientPool.Acquire(new ConnectionSettings { Proxy = ProxySettings.None, SkipCertificateCheck = true });
        for (var port = 4001; port <= 4000 + (2 * HttpClientPool.Capacity); port++)
        {
            HttpClientPool.Acquire(new ConnectionSettings { Proxy = new ProxySettings(new Uri($"http://127.0.0.1:{port}/")) }).Dispose();
        }

        Assert.True(HttpClientPool.Count <= HttpClientPool.Capacity + 1, $"{HttpClientPool.Count} clients pooled");
        // Retired, but a call still holds it: it works until that call lets go, and is disposed then.
        using (var stillServing = await held.Client.GetAsync(status))
        {
            Assert.Equal(HttpStatusCode.OK, stillServing.StatusCode);
        }

        held.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => held.Client.GetAsync(status));
    }

    private Harness _harness = null!;

    public async Task InitializeAsync() => _harness = await Harness.StartAsync();

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task Loopback_never_goes_through_an_explicit_proxy()
    {
        await using var proxy = new AuthenticatingProxy("proxy-user", "proxy-pass-61");
        var settings = new ProxySettings(proxy.Address, new NetworkCredential("proxy-user", "proxy-pass-61"));
        var engine = new TokenAuthEngine(new TokenAuthOptions { Connection = new ConnectionSettings { Proxy = settings } }, _harness.Clock);

        var response = await engine.SendAsync(_harness.Request("APIMW"), new ApiRequest("GET", "resources/sample"));

        Assert.Equal(200, response.StatusCode);
        Assert.Equal(0, proxy.Challenges);
        Assert.Empty(proxy.Forwarded);
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080/", true)]
    [InlineData("http://127.9.9.9/", true)]
    [InlineData("http://localhost:8080/", true)]
    [InlineData("http://LOCALHOST/", true)]
    [InlineData("http://[::1]:8080/", true)]
    [InlineData("http://[::ffff:127.0.0.1]/", true)]
    [InlineData("https://api.example.com/", false)]
    [InlineData("http://127.0.0.1.example.com/", false)]
    public void A_loopback_destination_bypasses_any_proxy_and_another_asks_the_proxy(string destination, bool bypassed)
    {
        var proxy = new LoopbackBypassingProxy(new WebProxy("http://proxy.example:3128"), null);

        Assert.Equal(bypassed, proxy.IsBypassed(new Uri(destination)));
    }
}

#if !REMOTE_EMULATOR
/// <summary>
/// Through a proxy for real: the emulator's TLS listener named by a host only the test proxy resolves (to loopback), so
/// the call can only have gone through it.
/// </summary>
public sealed class ProxiedHostTests : IAsyncLifetime
{
    private static readonly TestCertificates Certificates = TestCertificates.Create();
    private Harness _harness = null!;

    public async Task InitializeAsync() => _harness = await Harness.StartAsync(emulator => emulator.HttpsCertificate = Certificates.Server);

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task An_explicit_proxy_with_credentials_carries_token_and_api_calls_through_its_tunnel()
    {
        await using var proxy = new AuthenticatingProxy("proxy-user", "proxy-pass-61");
        LeakEvidence.Secret("proxy-pass-61");
        var bundle = Path.Combine(Path.GetTempPath(), $"tokenauth-ca-{Guid.NewGuid():N}.pem");
        File.WriteAllText(bundle, Certificates.Authority.ExportCertificatePem() + "\n");
        var engine = new TokenAuthEngine(new TokenAuthOptions
        {
            Connection = new ConnectionSettings
            {
                Proxy = new ProxySettings(proxy.Address, new NetworkCredential("proxy-user", "proxy-pass-61")),
                TrustedCertificates = TrustedCertificates.FromPemFile(bundle),
            },
        }, _harness.Clock);
        var authority = $"{TestCertificates.ProxiedHostName}:{_harness.Emulator.HttpsRootUri!.Port}";
        var request = new TokenAuth.Tokens.TokenRequest(
            TokenAuth.Providers.ProviderTarget.Resolve(_harness.Providers.Get("APIMW"), baseUri: $"https://{authority}/apimw"), _harness.CredentialFor("APIMW"));

        var response = await engine.SendAsync(request, new ApiRequest("GET", "resources/sample"));

        Assert.Equal(200, response.StatusCode);
        Assert.True(proxy.Challenges >= 1);
        Assert.Equal($"CONNECT {authority}", Assert.Single(proxy.Forwarded));
        Assert.Equal(1, _harness.Count("apimw", "token"));
    }
}
#endif
