using System.Net;
using System.Net.Http.Headers;

namespace TokenAuth.Benchmarks;

/// <summary>
/// Answers at once with what the emulator answered once: its token response and its sample resource. Nothing is
/// waited for, so what is measured is the CPU each request costs above the handler, steady enough to compare. (An
/// answer after a yield, as over a network, made each call's time swing by more than the difference measured.)
/// </summary>
public sealed class CannedAnswers : HttpMessageHandler
{
    private readonly (byte[] Body, string MediaType) _token;
    private readonly (byte[] Body, string MediaType) _sample;

    private CannedAnswers((byte[], string) token, (byte[], string) sample)
    {
        _token = token;
        _sample = sample;
    }

    public static async Task<CannedAnswers> RecordAsync(BenchmarkEnvironment environment)
    {
        using var client = new HttpClient();
        using var tokenResponse = await client.PostAsync(environment.TokenEndpoint, BenchmarkEnvironment.TokenForm());
        var token = await Record(tokenResponse);
        using var sampleRequest = new HttpRequestMessage(HttpMethod.Get, environment.SampleResource);
        var accessToken = System.Text.Json.JsonDocument.Parse(token.Item1).RootElement.GetProperty("access_token").GetString();
        sampleRequest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        using var sampleResponse = await client.SendAsync(sampleRequest);
        return new CannedAnswers(token, await Record(sampleResponse));
    }

    private static async Task<(byte[], string)> Record(HttpResponseMessage response)
    {
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadAsByteArrayAsync(), response.Content.Headers.ContentType!.ToString());
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var (body, mediaType) = request.RequestUri!.AbsolutePath.EndsWith("/token", StringComparison.Ordinal) ? _token : _sample;
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(mediaType);
        return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = content, RequestMessage = request });
    }
}
