using System.Net;
using System.Net.Http.Headers;
using TokenAuth.Emulator;
using TokenAuth.Errors;
using TokenAuth.Logging;
using TokenAuth.Requests;
using Xunit;

namespace TokenAuth.Tests;

public sealed class RequestPipelineTests : IAsyncLifetime
{
    private Harness _harness = null!;
    private ProviderEmulator _elsewhere = null!;

    public async Task InitializeAsync()
    {
        _harness = await Harness.StartAsync();
        _elsewhere = await ProviderEmulator.StartAsync(new EmulatorOptions { Clock = _harness.Clock });
    }

    public async Task DisposeAsync()
    {
        LeakEvidence.SecretsOf(_elsewhere);
        await _elsewhere.DisposeAsync();
        await _harness.DisposeAsync();
    }

    private Task<ApiResponse> Send(string provider, ApiRequest request) => _harness.Engine.SendAsync(_harness.Request(provider), request, _harness.Log);

    private static Dictionary<string, object?> Object(ApiResponse response) => Assert.IsType<Dictionary<string, object?>>(response.Content);

    [Fact]
    public async Task A_relative_path_keeps_the_base_uri_prefix_and_its_query()
    {
        var response = await Send("Akiba", new ApiRequest("GET", "resources/echo?page=2&size=10"));

        var echo = Object(response);
        Assert.Equal("/akiba/resources/echo", echo["path"]);
        Assert.Equal("2", Assert.IsType<Dictionary<string, object?>>(echo["query"])["page"]);
    }

    [Fact]
    public async Task An_absolute_uri_on_the_providers_own_origin_is_accepted()
    {
        var response = await Send("Ankorstore", new ApiRequest("GET", new Uri(_harness.Emulator.RootUri, "ankorstore/resources/sample").ToString()));

        Assert.Equal(200, response.StatusCode);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_absolute_uri_on_another_origin_is_refused_before_anything_is_sent(bool sameHostOtherPort)
    {
        var elsewhere = sameHostOtherPort ? new Uri(_elsewhere.RootUri, "akiba/resources/sample").ToString() : "https://attacker.example/akiba/resources/sample";

        var error = await Expect.Throws<UnsafeRequestException>(() => Send("Akiba", new ApiRequest("GET", elsewhere)));

        Assert.Contains("the token would leave the provider", error.Message);
        Assert.Empty(_elsewhere.AuthorizationHeadersSeen);
        Assert.Equal(0, _harness.Count("akiba", "token"));
    }

    [Theory]
    [InlineData("//attacker.example/x?key=query-secret-7")]
    [InlineData("ftp://attacker.example/x?key=query-secret-7")]
    public async Task Protocol_relative_and_non_http_uris_are_refused_without_echoing_query_values(string uri)
    {
        LeakEvidence.Secret("query-secret-7");

        var error = await Expect.Throws<UnsafeRequestException>(() => Send("Akiba", new ApiRequest("GET", uri)));

        Assert.DoesNotContain("query-secret-7", error.Message);
    }

    [Fact]
    public async Task A_redirect_to_another_origin_is_followed_without_the_Authorization_header()
    {
        var target = new Uri(_elsewhere.RootUri, "akiba/resources/open");

        var response = await Send("Akiba", new ApiRequest("GET", "resources/redirect?to=" + Uri.EscapeDataString(target.ToString())) { Headers = { ["X-Api-Key"] = "caller-key-value" } });

        Assert.Equal(200, response.StatusCode);
        Assert.Equal(false, Object(response)["authorizationReceived"]);
        Assert.Empty(_elsewhere.AuthorizationHeadersSeen);
        Assert.Equal(1, _elsewhere.RequestCount("akiba", "open"));
        Assert.True(_harness.Log.Contains("following it without the Authorization header"));
    }

    [Fact]
    public async Task A_redirect_that_carries_the_token_in_its_address_never_shows_it()
    {
        var request = _harness.Request("Akiba");
        var token = (await _harness.Engine.GetTokenAsync(request)).Token.Value;
        var elsewhere = new UriBuilder(new Uri(_elsewhere.RootUri, $"akiba/resources/{token}/x")) { UserName = token }.Uri;

        var error = await Expect.Throws<ApiErrorException>(() =>
            _harness.Engine.SendAsync(request, new ApiRequest("GET", "resources/redirect?to=" + Uri.EscapeDataString(elsewhere.ToString())), _harness.Log));

        Assert.True(_harness.Log.Contains("redirected to another origin"));
        Assert.DoesNotContain(token, error.Message);
        Assert.DoesNotContain(_harness.Log.Messages, line => line.Contains(token, StringComparison.Ordinal));
        Assert.Contains("/akiba/resources/***/x", error.Message);
    }

    [Fact]
    public async Task A_redirect_within_the_providers_origin_keeps_the_token()
    {
        var target = new Uri(_harness.Emulator.RootUri, "akiba/resources/sample");

        var response = await Send("Akiba", new ApiRequest("GET", "resources/redirect?status=307&to=" + Uri.EscapeDataString(target.ToString())));

        Assert.Equal(200, response.StatusCode);
        Assert.Equal("Hello from the TokenAuth emulator", Object(response)["message"]);
    }

    [Fact]
    public async Task A_redirect_to_plain_http_off_loopback_is_refused()
    {
        var error = await Expect.Throws<UnsafeRequestException>(() =>
            Send("Akiba", new ApiRequest("GET", "resources/redirect?to=" + Uri.EscapeDataString("http://attacker.example/steal"))));

        Assert.Contains("not https; the redirect was not followed", error.Message);
    }

    [Theory]
    [InlineData("Akiba", "Bearer")]
    [InlineData("Kitegateway", "JWT")]
    [InlineData("Ankorstore", "Bearer")]
    [InlineData("CoreBanking", "Bearer")]
    [InlineData("APIMW", "Bearer")]
    public async Task Each_provider_gets_its_own_scheme_and_the_emulator_refuses_the_other(string provider, string scheme)
    {
        var request = _harness.Request(provider);
        var token = (await _harness.Engine.GetTokenAsync(request)).Token;
        var bare = token.Value.StartsWith("JWT ", StringComparison.Ordinal) ? token.Value[4..] : token.Value;

        var response = await _harness.Engine.SendAsync(request, new ApiRequest("GET", "resources/sample"));
        using var client = new HttpClient();
        using var wrong = new HttpRequestMessage(HttpMethod.Get, new Uri(_harness.Emulator.BaseUriOf(provider) + "/resources/sample"));
        wrong.Headers.Authorization = new AuthenticationHeaderValue(scheme == "JWT" ? "Bearer" : "JWT", bare);
        using var refused = await client.SendAsync(wrong);

        Assert.Equal(scheme + " " + bare, token.AuthorizationHeaderValue);
        Assert.Equal(200, response.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains($"Authorization scheme must be {scheme}", await refused.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task CoreBanking_sends_the_token_type_it_was_given()
    {
        await using var harness = await Harness.StartAsync(options => options.CoreBankingTokenType = "MAC");

        var response = await harness.Engine.SendAsync(harness.Request("CoreBanking"), new ApiRequest("GET", "resources/sample"));

        Assert.Equal(200, response.StatusCode);
        Assert.StartsWith("MAC ", Assert.Single(harness.Emulator.AuthorizationHeadersSeen));
    }

    [Theory]
    [InlineData("Akiba")]
    [InlineData("APIMW")]
    [InlineData("Ankorstore")]
    public async Task A_401_after_server_side_revocation_renews_the_token_and_sends_again_once(string provider)
    {
        var request = _harness.Request(provider);
        var first = (await _harness.Engine.GetTokenAsync(request)).Token;
        _harness.Emulator.RevokeAllTokens(provider.ToLowerInvariant());

        var response = await _harness.Engine.SendAsync(request, new ApiRequest("GET", "resources/sample"), _harness.Log);

        Assert.Equal(200, response.StatusCode);
        Assert.Equal(1, response.Retries);
        Assert.Equal(2, _harness.Count(provider, "sample"));
        Assert.NotSame(first, (await _harness.Engine.GetTokenAsync(request)).Token);
        Assert.True(_harness.Log.Contains("the token was refused; forgetting it"));
    }

    [Fact]
    public async Task A_401_after_expiry_on_the_server_side_renews_the_token()
    {
        // The provider expires the token while TokenAuth, on its own clock, still holds it as good.
        var engine = new TokenAuthEngine(_harness.Engine.Options, TimeProvider.System);
        var request = _harness.Request("APIMW");
        await engine.GetTokenAsync(request);
        _harness.Clock.Advance(TimeSpan.FromHours(2));

        var response = await engine.SendAsync(request, new ApiRequest("GET", "resources/sample"), _harness.Log);

        Assert.Equal(200, response.StatusCode);
        Assert.Equal(1, response.Retries);
        Assert.Equal(2, _harness.Count("apimw", "token"));
        Assert.Equal(2, _harness.Count("apimw", "sample"));
    }

    [Fact]
    public async Task A_second_401_is_an_error_carrying_the_providers_message()
    {
        _harness.Emulator.InjectFault("apimw", "sample", new EmulatorFault { StatusCode = 401, Times = 2, Body = """{"success":false,"error":{"code":"INVALID_TOKEN","message":"Token not accepted here"}}""" });

        var error = await Expect.Throws<ApiErrorException>(() => Send("APIMW", new ApiRequest("GET", "resources/sample")));

        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
        Assert.Equal("INVALID_TOKEN", error.ProviderCode);
        Assert.Equal("Token not accepted here", error.ProviderMessage);
        Assert.Equal(2, _harness.Count("apimw", "sample"));
    }

    [Fact]
    public async Task A_403_is_not_retried()
    {
        _harness.Emulator.InjectFault("ankorstore", "sample", new EmulatorFault { StatusCode = 403 });

        var error = await Expect.Throws<ApiErrorException>(() => Send("Ankorstore", new ApiRequest("GET", "resources/sample")));

        Assert.Equal(HttpStatusCode.Forbidden, error.StatusCode);
        Assert.Equal("Injected fault 403", error.ProviderMessage);
        Assert.Equal(1, _harness.Count("ankorstore", "sample"));
        Assert.Contains("scope or the account's permissions", error.Hint);
    }

    [Fact]
    public async Task Retry_After_in_seconds_is_honoured()
    {
        await using var harness = await Harness.StartAsync(fakeTimers: true);
        harness.Emulator.InjectFault("akiba", "sample", new EmulatorFault { StatusCode = 429, RetryAfter = "1" });

        var call = harness.Engine.SendAsync(harness.Request("Akiba"), new ApiRequest("GET", "resources/sample"), harness.Log);
        await harness.Clock.AdvanceOnceWaitingAsync(TimeSpan.FromSeconds(1));
        var response = await call;

        Assert.Equal(200, response.StatusCode);
        Assert.Equal(1, response.Retries);
        Assert.Equal(2, harness.Count("akiba", "sample"));
        Assert.True(harness.Log.Contains("HTTP 429 from") && harness.Log.Contains("retrying in 1 s"));
    }

    [Fact]
    public async Task A_retry_interval_is_the_wait_when_the_server_sends_no_Retry_After_and_a_Retry_After_still_wins()
    {
        await using var harness = await Harness.StartAsync(fakeTimers: true);
        harness.Emulator.InjectFault("akiba", "sample", new EmulatorFault { StatusCode = 503, Times = 2 });
        harness.Emulator.InjectFault("akiba", "items", new EmulatorFault { StatusCode = 429, RetryAfter = "1" });

        var call = harness.Engine.SendAsync(harness.Request("Akiba"), new ApiRequest("GET", "resources/sample") { RetryInterval = TimeSpan.FromSeconds(2) }, harness.Log);
        await harness.Clock.AdvanceOnceWaitingAsync(TimeSpan.FromSeconds(2));
        await harness.Clock.AdvanceOnceWaitingAsync(TimeSpan.FromSeconds(2));
        var response = await call;
        var honoured = harness.Engine.SendAsync(harness.Request("Akiba"), new ApiRequest("GET", "resources/items") { RetryInterval = TimeSpan.FromSeconds(2) }, harness.Log);
        await harness.Clock.AdvanceOnceWaitingAsync(TimeSpan.FromSeconds(1));
        await honoured;

        Assert.Equal(2, response.Retries);
        // Besides the attempts' own 10 s timeouts, the waits between attempts.
        Assert.Equal([TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1)], harness.Clock.Waits.Where(wait => wait < TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Retry_After_as_an_HTTP_date_is_honoured()
    {
        var when = _harness.Clock.GetUtcNow().AddSeconds(1).ToString("R");
        _harness.Emulator.InjectFault("akiba", "sample", new EmulatorFault { StatusCode = 503, RetryAfter = when });

        var response = await Send("Akiba", new ApiRequest("GET", "resources/sample"));

        Assert.Equal(1, response.Retries);
        Assert.True(_harness.Log.Contains("HTTP 503 from") && _harness.Log.Contains("retrying in 1 s"));
    }

    [Fact]
    public async Task Backoff_stops_at_the_attempt_cap_with_the_providers_error()
    {
        _harness.Emulator.InjectFault("akiba", "sample", new EmulatorFault { StatusCode = 503, Times = 10 });

        var error = await Expect.Throws<ApiErrorException>(() => Send("Akiba", new ApiRequest("GET", "resources/sample") { MaxRetries = 2 }));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, error.StatusCode);
        Assert.Equal(3, _harness.Count("akiba", "sample"));
        Assert.True(_harness.Log.Contains("no retry left"));
    }

    [Fact]
    public async Task A_Retry_After_beyond_the_total_wait_cap_is_not_waited_for()
    {
        await using var harness = await Harness.StartAsync(fakeTimers: true);
        harness.Emulator.InjectFault("akiba", "sample", new EmulatorFault { StatusCode = 429, RetryAfter = "120" });

        var error = await Expect.Throws<ApiErrorException>(() => harness.Engine.SendAsync(harness.Request("Akiba"), new ApiRequest("GET", "resources/sample")));

        Assert.Equal((HttpStatusCode)429, error.StatusCode);
        Assert.DoesNotContain(TimeSpan.FromSeconds(120), harness.Clock.Waits);
        Assert.Equal(1, harness.Count("akiba", "sample"));
    }

    [Fact]
    public async Task Bad_gateway_is_retried_for_idempotent_methods_only()
    {
        _harness.Emulator.InjectFault("akiba", "echo", new EmulatorFault { StatusCode = 502 });
        var put = await Send("Akiba", new ApiRequest("PUT", "resources/echo") { Body = RequestBody.Text("x") });
        _harness.Emulator.InjectFault("akiba", "echo", new EmulatorFault { StatusCode = 502 });

        var post = await Expect.Throws<ApiErrorException>(() => Send("Akiba", new ApiRequest("POST", "resources/echo") { Body = RequestBody.Text("x") }));

        Assert.Equal(1, put.Retries);
        Assert.Equal(HttpStatusCode.BadGateway, post.StatusCode);
        Assert.Equal(3, _harness.Count("akiba", "echo"));
    }

    [Fact]
    public async Task A_body_that_cannot_be_sent_again_is_not_retried()
    {
        _harness.Emulator.InjectFault("akiba", "echo", new EmulatorFault { StatusCode = 503 });
        using var stream = new MemoryStream("streamed"u8.ToArray());

        var error = await Expect.Throws<ApiErrorException>(() => Send("Akiba", new ApiRequest("POST", "resources/echo") { Body = RequestBody.Stream(stream) }));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, error.StatusCode);
        Assert.Equal(1, _harness.Count("akiba", "echo"));
        Assert.True(_harness.Log.Contains("the request body cannot be sent again"));
    }

    [Fact]
    public async Task A_request_that_takes_too_long_times_out_naming_the_endpoint()
    {
        await using var harness = await Harness.StartAsync(fakeTimers: true);
        await harness.Engine.GetTokenAsync(harness.Request("Akiba"));

        var call = harness.Engine.SendAsync(harness.Request("Akiba"), new ApiRequest("GET", "resources/slow?ms=5000") { Timeout = TimeSpan.FromMilliseconds(300) });
        await harness.Clock.AdvanceOnceWaitingAsync(TimeSpan.FromMilliseconds(300));
        var error = await Expect.Throws<ProviderUnreachableException>(() => call);

        Assert.True(error.TimedOut);
        Assert.Contains("did not answer within 0.3 s", error.Message);
        Assert.Contains("/akiba/resources/slow?ms=***", error.Message);
    }

    [Fact]
    public async Task A_body_that_stalls_past_the_timeout_times_out_naming_the_endpoint()
    {
        await using var harness = await Harness.StartAsync(fakeTimers: true);
        await harness.Engine.GetTokenAsync(harness.Request("Akiba"));

        var call = harness.Engine.SendAsync(harness.Request("Akiba"), new ApiRequest("GET", "resources/stall?ms=600000") { Timeout = TimeSpan.FromMilliseconds(500) });
        await harness.Clock.AdvanceOnceWaitingAsync(TimeSpan.FromMilliseconds(500));
        var error = await Expect.Throws<ProviderUnreachableException>(() => call);

        Assert.True(error.TimedOut);
        Assert.Contains("within 0.5 s", error.Message);
        Assert.Contains("/akiba/resources/stall?ms=***", error.Message);
    }

    [Fact]
    public async Task Cancellation_stops_a_request_at_once_while_its_body_stalls()
    {
        // The clock never moves, so no timeout can end the call: only the cancellation can.
        await using var harness = await Harness.StartAsync(fakeTimers: true);
        using var cancel = new CancellationTokenSource();

        var call = harness.Engine.SendAsync(harness.Request("Akiba"), new ApiRequest("GET", "resources/stall?ms=600000"), harness.Log, cancel.Token);
        await harness.Emulator.WaitForRequestsAsync("akiba", "stall");
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task A_large_error_body_is_kept_up_to_a_limit()
    {
        _harness.Emulator.InjectFault("akiba", "sample", new EmulatorFault { StatusCode = 500, Body = new string('x', 3_000_000), ContentType = "text/plain" });

        var error = await Expect.Throws<ApiErrorException>(() => Send("Akiba", new ApiRequest("GET", "resources/sample")));

        Assert.Equal(64 * 1024, error.ResponseBody!.Length);
        Assert.Null(error.ProviderMessage);
    }

    [Fact]
    public async Task Cancellation_stops_a_request_at_once_even_mid_retry_wait()
    {
        await using var harness = await Harness.StartAsync(fakeTimers: true);
        harness.Emulator.InjectFault("akiba", "sample", new EmulatorFault { StatusCode = 429, RetryAfter = "4" });
        using var cancel = new CancellationTokenSource();
        var startedAt = harness.Clock.GetUtcNow();

        var call = harness.Engine.SendAsync(harness.Request("Akiba"), new ApiRequest("GET", "resources/sample"), harness.Log, cancel.Token);
        await harness.Clock.WaitingAsync(TimeSpan.FromSeconds(4));
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(startedAt, harness.Clock.GetUtcNow());
        Assert.Equal(1, harness.Count("akiba", "sample"));
    }

    [Theory]
    [InlineData("resources/sample", ResponseKind.Json)]
    [InlineData("resources/items", ResponseKind.Json)]
    [InlineData("resources/scalar", ResponseKind.Json)]
    [InlineData("resources/text", ResponseKind.Text)]
    [InlineData("resources/bytes?size=1000", ResponseKind.Bytes)]
    public async Task Responses_come_back_in_the_form_their_type_says(string path, ResponseKind kind)
    {
        var response = await Send("Kitegateway", new ApiRequest("GET", path));

        Assert.Equal(kind, response.Kind);
        switch (path)
        {
            case "resources/items":
                Assert.Equal(3, Assert.IsType<List<object?>>(response.Content).Count);
                break;
            case "resources/scalar":
                Assert.Equal(42L, response.Content);
                break;
            case "resources/text":
                Assert.Equal("Plain text from kitegateway.", response.Content);
                break;
            case "resources/bytes?size=1000":
                Assert.Equal(Enumerable.Range(0, 1000).Select(i => (byte)(i % 251)), Assert.IsType<byte[]>(response.Content));
                break;
        }

        Assert.Equal(200, response.StatusCode);
        Assert.Contains("Content-Type", response.Headers.Keys);
    }

    [Fact]
    public async Task Json_text_and_form_bodies_go_out_as_asked()
    {
        var json = Object(await Send("Akiba", new ApiRequest("POST", "resources/echo") { Body = RequestBody.Json(new Dictionary<string, object?> { ["name"] = "x", ["count"] = 3 }) }));
        var form = Object(await Send("Akiba", new ApiRequest("POST", "resources/echo") { Body = RequestBody.Form([new("a", "1 2"), new("b", "&")]) }));
        var raw = Object(await Send("Akiba", new ApiRequest("PUT", "resources/echo") { Body = RequestBody.Text("<x/>", "application/xml"), Headers = { ["X-Trace"] = "t1" } }));

        Assert.Equal("""{"name":"x","count":3}""", json["body"]);
        Assert.StartsWith("application/json", (string?)json["contentType"]);
        Assert.Equal("a=1+2&b=%26", form["body"]);
        Assert.Equal("application/x-www-form-urlencoded", form["contentType"]);
        Assert.Equal("<x/>", raw["body"]);
        Assert.Equal("application/xml", raw["contentType"]);
        Assert.Equal("t1", Assert.IsType<Dictionary<string, object?>>(raw["headers"])["X-Trace"]);
    }

    [Fact]
    public async Task Raw_mode_returns_json_as_text()
    {
        var response = await Send("Akiba", new ApiRequest("GET", "resources/scalar") { ResponseMode = ResponseMode.Text });

        Assert.Equal(ResponseKind.Text, response.Kind);
        Assert.Equal("42", response.Content);
    }

    [NotOnMonoFact(Allocation.NotCountedOnMono)]
    public async Task A_large_download_is_streamed_to_a_file_not_buffered()
    {
        const long size = 64L * 1024 * 1024;
        var path = Path.Combine(Path.GetTempPath(), $"tokenauth-{Guid.NewGuid():N}.bin");
        try
        {
            await Send("Akiba", new ApiRequest("GET", "resources/bytes?size=1024") { OutFile = path });
            var before = Allocation.TotalBytes();

            var response = await Send("Akiba", new ApiRequest("GET", $"resources/bytes?size={size}") { OutFile = path });

            var allocated = Allocation.TotalBytes() - before;
            Assert.Equal(ResponseKind.File, response.Kind);
            Assert.Equal(Path.GetFullPath(path), response.Content);
            Assert.Equal(size, new FileInfo(path).Length);
            Assert.False(File.Exists(path + ".partial"));
            Assert.True(allocated < size / 8, $"allocated {allocated} bytes for a {size}-byte download");
            using var file = File.OpenRead(path);
            file.Seek(size - 1, SeekOrigin.Begin);
            Assert.Equal((byte)(((size - 1) % 65536) % 251), file.ReadByte());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task A_download_that_breaks_off_leaves_the_previous_file_as_it_was()
    {
        var path = Path.Combine(Path.GetTempPath(), $"tokenauth-{Guid.NewGuid():N}.bin");
        try
        {
            File.WriteAllText(path, "the previous download");

            var error = await Expect.Throws<ProviderUnreachableException>(() =>
                Send("Akiba", new ApiRequest("GET", "resources/bytes?size=1048576&cut=131072") { OutFile = path }));

            Assert.Equal("the previous download", File.ReadAllText(path));
            Assert.False(File.Exists(path + ".partial"));
            Assert.Equal("ProviderUnreachable", error.ErrorId);
            Assert.False(error.TimedOut);
            Assert.StartsWith("The connection to Akiba at ", error.Message);
            Assert.Contains("closed before the whole answer arrived", error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task A_resumed_download_appends_the_rest_and_a_server_that_ignores_the_range_is_detected()
    {
        var path = Path.Combine(Path.GetTempPath(), $"tokenauth-{Guid.NewGuid():N}.bin");
        static byte[] Expected(int size) => Enumerable.Range(0, size).Select(position => (byte)((position % 65536) % 251)).ToArray();
        try
        {
            File.WriteAllBytes(path, Expected(100_000));

            var resumed = await Send("Akiba", new ApiRequest("GET", "resources/bytes?size=250000") { OutFile = path, Resume = true });
            var complete = await Send("Akiba", new ApiRequest("GET", "resources/bytes?size=250000") { OutFile = path, Resume = true });
            var ignored = await Send("Akiba", new ApiRequest("GET", "resources/bytes?size=300000&ignoreRange=1") { OutFile = path, Resume = true });

            Assert.Equal((206, 150_000L), (resumed.StatusCode, resumed.ContentLength));
            Assert.Equal((416, 0L), (complete.StatusCode, complete.ContentLength));
            Assert.Equal((200, 300_000L), (ignored.StatusCode, ignored.ContentLength));
            Assert.Equal(Expected(300_000), File.ReadAllBytes(path));
            Assert.Contains(_harness.Log.Lines, line => line.Level == LogLevel.Warning && line.Message.Contains("ignored the range asked for (bytes from 250000"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task A_multipart_body_sends_fields_and_files_and_reopens_the_files_for_a_retry()
    {
        var file = Path.Combine(Path.GetTempPath(), $"tokenauth-{Guid.NewGuid():N}.bin");
        try
        {
            File.WriteAllBytes(file, Enumerable.Range(0, 5000).Select(value => (byte)value).ToArray());
            _harness.Emulator.InjectFault("akiba", "upload", new EmulatorFault { StatusCode = 503 });
            var body = RequestBody.Multipart([new("note", "hello"), new("file", new FileInfo(file)), new("again", new List<object?> { new FileInfo(file), "text" })]);

            var response = await Send("Akiba", new ApiRequest("POST", "resources/upload") { Body = body });

            var answer = Object(response);
            Assert.Equal(1, response.Retries);
            var fields = Assert.IsType<Dictionary<string, object?>>(answer["fields"]);
            Assert.Equal("hello", fields["note"]);
            Assert.Equal("text", fields["again"]);
            var files = Assert.IsType<List<object?>>(answer["files"]).Cast<Dictionary<string, object?>>().ToList();
            Assert.Equal(["file", "again"], files.Select(part => part["name"]));
            var sha = BitConverter.ToString(System.Security.Cryptography.SHA256.Create().ComputeHash(File.ReadAllBytes(file))).Replace("-", "");
            Assert.All(files, part => Assert.Equal(sha, part["sha256"]));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task An_answer_that_breaks_off_is_retried_like_a_lost_connection_then_is_the_providers_failure()
    {
        var error = await Expect.Throws<ProviderUnreachableException>(() =>
            Send("Akiba", new ApiRequest("GET", "resources/bytes?size=1048576&cut=65536") { ResponseMode = ResponseMode.Bytes, MaxRetries = 1 }));

        Assert.Equal(2, _harness.Count("akiba", "bytes"));
        Assert.Equal("ProviderUnreachable", error.ErrorId);
        Assert.StartsWith("Could not reach Akiba at ", error.Message);
    }

    [Fact]
    public async Task An_out_file_that_cannot_be_written_is_an_OutFileFailed_error_naming_the_path()
    {
        var path = Path.Combine(Path.GetTempPath(), $"tokenauth-missing-{Guid.NewGuid():N}", "report.bin");

        var error = await Expect.Throws<OutFileException>(() => Send("Akiba", new ApiRequest("GET", "resources/bytes?size=1024") { OutFile = path }));

        Assert.Equal("OutFileFailed", error.ErrorId);
        Assert.Equal(path, error.Path);
        Assert.StartsWith($"The response from Akiba could not be written to {path}: ", error.Message);
        Assert.IsType<DirectoryNotFoundException>(error.InnerException);
    }

    [Fact]
    public async Task A_non_success_answer_is_a_typed_error_with_the_providers_code_message_and_body()
    {
        var error = await Expect.Throws<ApiErrorException>(() => Send("APIMW", new ApiRequest("GET", "resources/status/404")));

        Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
        Assert.Equal("STATUS_404", error.ProviderCode);
        Assert.Equal("Status 404 as asked", error.ProviderMessage);
        Assert.Equal("RequestFailed", error.ErrorId);
        Assert.Contains("\"success\":false", error.ResponseBody);
    }

    [Fact]
    public async Task The_caller_can_handle_non_success_answers_itself()
    {
        var response = await Send("Ankorstore", new ApiRequest("GET", "resources/status/409") { SkipHttpErrorCheck = true });

        Assert.Equal(409, response.StatusCode);
        Assert.False(response.IsSuccess);
        var errors = Assert.IsType<List<object?>>(Object(response)["errors"]);
        Assert.Equal("Status 409 as asked", Assert.IsType<Dictionary<string, object?>>(errors[0])["detail"]);
    }

    [Fact]
    public async Task The_Authorization_header_belongs_to_TokenAuth()
    {
        var error = await Expect.Throws<InvalidRequestException>(() => Send("Akiba", new ApiRequest("GET", "resources/sample") { Headers = { ["Authorization"] = "Bearer mine" } }));

        Assert.Contains("set by TokenAuth", error.Message);
    }

    [Fact]
    public async Task Every_log_line_is_redacted_at_every_level()
    {
        var log = new RecordingLog(LogLevel.Debug);
        var request = _harness.Request("Kitegateway");
        var token = (await _harness.Engine.GetTokenAsync(request)).Token;
        var apiRequest = new ApiRequest("POST", "resources/echo?access_token=query-secret-1&page=1")
        {
            Body = RequestBody.Json(new Dictionary<string, object?> { ["password"] = "body-secret-2", ["nested"] = new Dictionary<string, object?> { ["client_secret"] = "body-secret-3" }, ["note"] = "visible" }),
            Headers = { ["Secret-Key"] = "header-secret-4", ["X-Api-Key"] = "header-secret-5", ["X-Trace"] = "visible-trace" },
        };
        foreach (var secret in new[] { "query-secret-1", "body-secret-2", "body-secret-3", "header-secret-4", "header-secret-5", "text-secret-6" })
        {
            LeakEvidence.Secret(secret);
        }

        await _harness.Engine.SendAsync(request, apiRequest, log);
        await _harness.Engine.SendAsync(request, new ApiRequest("POST", "resources/echo") { Body = RequestBody.Form([new("token", "query-secret-1"), new("page", "2")]) }, log);
        await _harness.Engine.SendAsync(request, new ApiRequest("POST", "resources/echo") { Body = RequestBody.Text("password is text-secret-6") }, log);

        var text = string.Join("\n", log.Messages);
        Assert.Contains("headers: ", text);
        Assert.Contains("Authorization: ***", text);
        Assert.Contains("Secret-Key: ***", text);
        Assert.Contains("visible-trace", text);
        Assert.Contains("\"note\":\"visible\"", text);
        Assert.Contains("access_token=***&page=***", text);
        Assert.Contains("token=***&page=2", text);
        Assert.Contains("(25 bytes of text/plain; charset=utf-8, not shown)", text);
        foreach (var secret in new[] { token.Value, "query-secret-1", "body-secret-2", "body-secret-3", "header-secret-4", "header-secret-5", "text-secret-6" })
        {
            Assert.DoesNotContain(secret, text);
        }
    }

    [Fact]
    public async Task The_log_reports_method_uri_status_time_retries_and_cache_use()
    {
        await Send("Akiba", new ApiRequest("GET", "resources/sample"));
        await Send("Akiba", new ApiRequest("GET", "resources/sample"));

        var lines = _harness.Log.Messages.Where(line => line.StartsWith("GET http://", StringComparison.Ordinal) && line.Contains(": HTTP ")).ToList();
        Assert.Equal(2, lines.Count);
        Assert.Matches(@"^GET http://127\.0\.0\.1:\d+/akiba/resources/sample: HTTP 200 OK in \d+ ms, \d+ bytes, 0 retries, 0 s waited, token newly obtained\.$", lines[0]);
        Assert.EndsWith("token from the cache.", lines[1]);
    }
}
