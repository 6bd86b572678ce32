using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace TokenAuth.Emulator;

public sealed partial class ProviderEmulator
{
    /// <summary>Protected sample resources under /{provider}/resources, and one open endpoint, for request tests.</summary>
    private void MapResources(RouteGroupBuilder group, string provider)
    {
        group.MapGet("/sample", Endpoint(provider, "sample", context => Protected(context, provider, (token, ctx) =>
            Json(ctx, 200, new JsonObject { ["provider"] = provider, ["identity"] = token.Identity, ["message"] = "Hello from the TokenAuth emulator" }))));

        group.MapGet("/items", Endpoint(provider, "items", context => Protected(context, provider, (_, ctx) =>
            Json(ctx, 200, new JsonArray(
                new JsonObject { ["id"] = 1, ["name"] = "first" },
                new JsonObject { ["id"] = 2, ["name"] = "second" },
                new JsonObject { ["id"] = 3, ["name"] = "third" })))));

        group.MapGet("/scalar", Endpoint(provider, "scalar", context => Protected(context, provider, (_, ctx) => Json(ctx, 200, JsonValue.Create(42)))));

        group.MapMethods("/echo", ["GET", "POST", "PUT", "PATCH", "DELETE", "REPORT"], Endpoint(provider, "echo", context => Protected(context, provider, async (_, ctx) =>
        {
            using var buffer = new MemoryStream();
            await ctx.Request.Body.CopyToAsync(buffer, ctx.RequestAborted).ConfigureAwait(false);
            var body = Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
            var headers = new JsonObject();
            foreach (var header in ctx.Request.Headers.Where(header => !header.Key.Equals("Authorization", StringComparison.OrdinalIgnoreCase)))
            {
                headers[header.Key] = header.Value.ToString();
            }

            var query = new JsonObject();
            foreach (var pair in ctx.Request.Query)
            {
                query[pair.Key] = pair.Value.ToString();
            }

            await Json(ctx, 200, new JsonObject
            {
                ["method"] = ctx.Request.Method,
                ["path"] = ctx.Request.Path.Value,
                ["query"] = query,
                ["contentType"] = ctx.Request.ContentType,
                ["body"] = body,
                ["bodyLength"] = buffer.Length,
                ["bodySha256"] = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(buffer.ToArray())),
                ["protocol"] = ctx.Request.Protocol,
                ["tls"] = ctx.Features.Get<Microsoft.AspNetCore.Connections.Features.ITlsHandshakeFeature>()?.Protocol.ToString(),
                ["headers"] = headers,
            }).ConfigureAwait(false);
        })));

        // A multipart/form-data upload read back: each field's value, and each file's name, type, length and SHA-256.
        group.MapPost("/upload", Endpoint(provider, "upload", context => Protected(context, provider, async (_, ctx) =>
        {
            var form = await ctx.Request.ReadFormAsync(ctx.RequestAborted).ConfigureAwait(false);
            var fields = new JsonObject();
            foreach (var field in form)
            {
                fields[field.Key] = field.Value.ToString();
            }

            var files = new JsonArray();
            foreach (var file in form.Files)
            {
                using var content = new MemoryStream();
                await file.CopyToAsync(content, ctx.RequestAborted).ConfigureAwait(false);
                files.Add(new JsonObject
                {
                    ["name"] = file.Name,
                    ["fileName"] = file.FileName,
                    ["contentType"] = file.ContentType,
                    ["length"] = content.Length,
                    ["sha256"] = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(content.ToArray())),
                });
            }

            await Json(ctx, 200, new JsonObject { ["contentType"] = ctx.Request.ContentType, ["fields"] = fields, ["files"] = files }).ConfigureAwait(false);
        })));

        group.MapGet("/text", Endpoint(provider, "text", context => Protected(context, provider, (_, ctx) =>
        {
            ctx.Response.ContentType = "text/plain; charset=utf-8";
            return ctx.Response.WriteAsync($"Plain text from {provider}.", ctx.RequestAborted);
        })));

        // XML, a text type that is neither text/* nor JSON: answered as ?type= says (application/xml by default).
        group.MapGet("/xml", Endpoint(provider, "xml", context => Protected(context, provider, (_, ctx) =>
        {
            ctx.Response.ContentType = (string?)ctx.Request.Query["type"] ?? "application/xml; charset=utf-8";
            return ctx.Response.WriteAsync($"<sample provider=\"{provider}\">XML from {provider}.</sample>", ctx.RequestAborted);
        })));

        group.MapGet("/bytes", Endpoint(provider, "bytes", context => Protected(context, provider, async (_, ctx) =>
        {
            var size = long.TryParse(ctx.Request.Query["size"], NumberStyles.None, CultureInfo.InvariantCulture, out var requested) ? requested : 1024;
            ctx.Response.ContentType = "application/octet-stream";
            // Range: bytes=N- is honoured (206 with Content-Range) unless ignoreRange=1, as a server without ranges answers;
            // partialFrom=N answers 206 from byte N whatever was asked, as a server that sends a range nobody asked for.
            var from = 0L;
            var range = ctx.Request.GetTypedHeaders().Range;
            long? asked = range?.Ranges.Count == 1 && range.Ranges.First().To == null ? range.Ranges.First().From : null;
            var partial = long.TryParse(ctx.Request.Query["partialFrom"], NumberStyles.None, CultureInfo.InvariantCulture, out var forced) ? forced
                : ctx.Request.Query["ignoreRange"] != "1" ? asked : null;
            if (partial is { } start)
            {
                if (start >= size)
                {
                    ctx.Response.StatusCode = 416;
                    ctx.Response.Headers.ContentRange = $"bytes */{size}";
                    return;
                }

                from = start;
                ctx.Response.StatusCode = 206;
                ctx.Response.Headers.ContentRange = $"bytes {from}-{size - 1}/{size}";
            }

            ctx.Response.ContentLength = size - from;
            // Position p holds (p % 65536) % 251, whichever range is sent. cut=N drops the connection once N bytes of the
            // whole have gone (from the start of the file, not of the range): a download that breaks off partway.
            var cut = long.TryParse(ctx.Request.Query["cut"], NumberStyles.None, CultureInfo.InvariantCulture, out var cutAfter) ? cutAfter : size;
            var chunk = new byte[64 * 1024];
            for (var position = from; position < size;)
            {
                if (position >= cut)
                {
                    await ctx.Response.Body.FlushAsync(ctx.RequestAborted).ConfigureAwait(false);
                    ctx.Abort();
                    return;
                }

                var count = (int)Math.Min(Math.Min(chunk.Length, size - position), Math.Max(cut - position, 1));
                for (var i = 0; i < count; i++)
                {
                    chunk[i] = (byte)(((position + i) % 65536) % 251);
                }

                await ctx.Response.Body.WriteAsync(chunk.AsMemory(0, count), ctx.RequestAborted).ConfigureAwait(false);
                position += count;
            }
        })));

        group.MapMethods("/redirect", ["GET", "POST", "PUT", "PATCH", "DELETE"], Endpoint(provider, "redirect", context => Protected(context, provider, (_, ctx) =>
        {
            var status = int.TryParse(ctx.Request.Query["status"], NumberStyles.None, CultureInfo.InvariantCulture, out var code) ? code : 302;
            ctx.Response.StatusCode = status;
            ctx.Response.Headers.Location = ctx.Request.Query["to"].ToString();
            return Task.CompletedTask;
        })));

        group.MapGet("/slow", Endpoint(provider, "slow", context => Protected(context, provider, async (_, ctx) =>
        {
            var milliseconds = int.TryParse(ctx.Request.Query["ms"], NumberStyles.None, CultureInfo.InvariantCulture, out var ms) ? ms : 1000;
            await Task.Delay(milliseconds, ctx.RequestAborted).ConfigureAwait(false);
            await Json(ctx, 200, new JsonObject { ["waited"] = milliseconds }).ConfigureAwait(false);
        })));

        // Headers and the start of a JSON body at once, the rest only after ms: a body that stalls.
        group.MapGet("/stall", Endpoint(provider, "stall", context => Protected(context, provider, async (_, ctx) =>
        {
            var milliseconds = int.TryParse(ctx.Request.Query["ms"], NumberStyles.None, CultureInfo.InvariantCulture, out var ms) ? ms : 1000;
            ctx.Response.ContentType = "application/json; charset=utf-8";
            await ctx.Response.WriteAsync("{\"stalled\":", ctx.RequestAborted).ConfigureAwait(false);
            await ctx.Response.Body.FlushAsync(ctx.RequestAborted).ConfigureAwait(false);
            await Task.Delay(milliseconds, ctx.RequestAborted).ConfigureAwait(false);
            await ctx.Response.WriteAsync("true}", ctx.RequestAborted).ConfigureAwait(false);
        })));

        group.MapGet("/pages/{style}", Endpoint(provider, "pages", context => Protected(context, provider, (_, ctx) => Page(ctx, provider))));

        group.MapGet("/status/{code:int}", Endpoint(provider, "status", context => Protected(context, provider, (_, ctx) =>
        {
            var code = int.Parse((string)ctx.Request.RouteValues["code"]!, CultureInfo.InvariantCulture);
            return code < 400 ? Json(ctx, code, new JsonObject { ["status"] = code }) : WriteError(ctx, provider, false, code, "STATUS_" + code, $"Status {code} as asked");
        })));

        // Open: answers anyone, and says which headers came along (for redirect and header-injection tests).
        group.MapGet("/open", Endpoint(provider, "open", context =>
            Json(context, 200, new JsonObject
            {
                ["open"] = true,
                ["authorizationReceived"] = context.Request.Headers.Authorization.Count > 0,
                ["headers"] = new JsonArray(context.Request.Headers.Keys.Order(StringComparer.OrdinalIgnoreCase).Select(name => (JsonNode)JsonValue.Create(name)!).ToArray()),
            })));

        // An answer far larger than anyone should hold: size bytes of JSON text (gzip-encoded with gzip=1, as it
        // leaves the server), with status; stallAfter=N&ms=M stops sending for M ms after N bytes. Open, like /open.
        group.MapGet("/flood", Endpoint(provider, "flood", context => Flood(context)));
    }

    private static async Task Flood(HttpContext context)
    {
        var query = context.Request.Query;
        long Number(string name, long fallback) => long.TryParse(query[name], NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : fallback;
        var size = Number("size", 1 << 20);
        var stallAfter = Number("stallAfter", long.MaxValue);
        var aborted = context.RequestAborted;
        context.Response.StatusCode = (int)Number("status", 500);
        context.Response.ContentType = "application/json";
        var gzip = query["gzip"] == "1";
        if (gzip)
        {
            context.Response.Headers.ContentEncoding = "gzip";
        }

        await context.Response.StartAsync(aborted).ConfigureAwait(false);
        // The response's own stream is not ours to dispose; the gzip layer over it is.
        await using var compressor = gzip ? new System.IO.Compression.GZipStream(context.Response.Body, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true) : null;
        var body = compressor ?? context.Response.Body;
        var chunk = Encoding.ASCII.GetBytes(new string('x', 65536));
        var opening = Encoding.ASCII.GetBytes("{\"error\":\"flood\",\"padding\":\"");
        await body.WriteAsync(opening, aborted).ConfigureAwait(false);
        for (long sent = opening.Length; sent < size - 2; sent += chunk.Length)
        {
            if (sent >= stallAfter)
            {
                await body.FlushAsync(aborted).ConfigureAwait(false);
                await Task.Delay((int)Number("ms", 30000), aborted).ConfigureAwait(false);
                stallAfter = long.MaxValue;
            }

            await body.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, size - 2 - sent)), aborted).ConfigureAwait(false);
        }

        await body.WriteAsync(Encoding.ASCII.GetBytes("\"}"), aborted).ConfigureAwait(false);
    }

    /// <summary>Control over HTTP, for callers outside this process (Pester, the PowerShell benchmark, the demo).</summary>
    private void MapControl(RouteGroupBuilder group)
    {
        group.MapGet("/", (HttpContext context) => Json(context, 200, new JsonObject
        {
            ["providers"] = new JsonObject(Providers.Select(provider => KeyValuePair.Create(provider, (JsonNode?)JsonValue.Create(BaseUriOf(provider).ToString())))),
        }));
        // The credentials this emulator accepts (demo values unless a test set others), for the demo and Pester setup.
        group.MapGet("/credentials", (HttpContext context) => Json(context, 200, JsonSerializer.SerializeToNode(
            _options.Credentials.ToDictionary(pair => pair.Key, pair => pair.Value), new JsonSerializerOptions(JsonSerializerDefaults.Web))!));
        group.MapGet("/counters", (HttpContext context) =>
            Json(context, 200, new JsonObject(_counters.OrderBy(pair => pair.Key).Select(pair => KeyValuePair.Create(pair.Key, (JsonNode?)JsonValue.Create(pair.Value))))));
        group.MapPost("/reset", (HttpContext context) =>
        {
            ResetCounters();
            return Json(context, 200, new JsonObject { ["reset"] = true });
        });
        group.MapPost("/revoke/{provider}", (HttpContext context, string provider) =>
        {
            RevokeAllTokens(provider);
            return Json(context, 200, new JsonObject { ["revoked"] = provider });
        });
        // What a test in another process reads off an in-process emulator directly (tests/TokenAuth.Engine.Tests.NetFramework).
        group.MapGet("/evidence", (HttpContext context) => Json(context, 200, new JsonObject
        {
            ["issuedSecrets"] = new JsonArray(IssuedSecrets.Select(secret => (JsonNode?)JsonValue.Create(secret)).ToArray()),
            ["authorizationHeadersSeen"] = new JsonArray(AuthorizationHeadersSeen.Select(header => (JsonNode?)JsonValue.Create(header)).ToArray()),
            ["oidcTokens"] = new JsonArray(OidcTokens.Select(token => (JsonNode?)JsonValue.Create(token)).ToArray()),
        }));
        group.MapPost("/revoked", async (HttpContext context) =>
        {
            var token = (await ReadJson(context).ConfigureAwait(false))?["token"]?.GetValue<string>() ?? "";
            await Json(context, 200, new JsonObject { ["revoked"] = IsRevoked(token) }).ConfigureAwait(false);
        });
        group.MapPost("/wait/{provider}/{endpoint}", async (HttpContext context, string provider, string endpoint) =>
        {
            await WaitForRequestsAsync(provider, endpoint, int.TryParse(context.Request.Query["count"], out var count) ? count : 1).ConfigureAwait(false);
            await Json(context, 200, new JsonObject { ["count"] = RequestCount(provider, endpoint) }).ConfigureAwait(false);
        });
        group.MapPost("/clock", async (HttpContext context) =>
        {
            if (_options.Clock is not SettableClock clock)
            {
                await Json(context, 409, new JsonObject { ["error"] = "this emulator runs on the system clock; start it with --settable-clock" }).ConfigureAwait(false);
                return;
            }

            clock.SetUtcNow(DateTimeOffset.Parse((await ReadJson(context).ConfigureAwait(false))?["utcNow"]?.GetValue<string>() ?? "", System.Globalization.CultureInfo.InvariantCulture));
            await Json(context, 200, new JsonObject { ["utcNow"] = clock.GetUtcNow().ToString("O") }).ConfigureAwait(false);
        });
        group.MapPost("/faults", async (HttpContext context) =>
        {
            var request = await JsonSerializer.DeserializeAsync<FaultRequest>(context.Request.Body, FaultJson, context.RequestAborted).ConfigureAwait(false);
            if (request?.Provider == null || request.Endpoint == null)
            {
                await Json(context, 400, new JsonObject { ["error"] = "provider and endpoint are required" }).ConfigureAwait(false);
                return;
            }

            InjectFault(request.Provider, request.Endpoint, new EmulatorFault
            {
                StatusCode = request.StatusCode ?? 503,
                RetryAfter = request.RetryAfter,
                DelayMilliseconds = request.DelayMilliseconds ?? 0,
                DelayOnly = request.DelayOnly ?? false,
                Body = request.Body,
                ContentType = request.ContentType ?? "application/json",
                Times = request.Times ?? 1,
                Delivery = request.Delivery ?? FaultDelivery.Whole,
                Size = request.Size ?? 64L << 20,
            });
            await Json(context, 200, new JsonObject { ["injected"] = true }).ConfigureAwait(false);
        });
    }

    /// <summary>
    /// One page of a list of <c>pages</c> pages of <c>size</c> items (ids from 1), in a paging style: <c>link</c> (a JSON
    /// array, the next page in a Link header), <c>jsonapi</c> (<c>{data, links: {next}}</c>, a relative link), <c>odata</c>
    /// (<c>{value, @odata.nextLink}</c>, absolute) or <c>cursor</c> (<c>{data, meta: {next_cursor}}</c>, read with
    /// <c>?cursor=</c>). <c>end=foreign</c> makes the last page link to another origin, <c>end=loop</c> back to page 2.
    /// </summary>
    private Task Page(HttpContext context, string provider)
    {
        var request = context.Request;
        int Number(string name, int fallback) => int.TryParse(request.Query[name], NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : fallback;
        var style = (string)context.GetRouteValue("style")!;
        var pages = Number("pages", 3);
        var size = Number("size", 5);
        var end = (string?)request.Query["end"];
        var page = style == "cursor" ? (request.Query["cursor"].ToString() is { Length: > 1 } cursor ? int.Parse(cursor[1..], CultureInfo.InvariantCulture) : 1) : Number("page", 1);
        var items = new JsonArray(Enumerable.Range((page - 1) * size + 1, page <= pages ? size : 0)
            .Select(id => (JsonNode)new JsonObject { ["id"] = id, ["name"] = $"item {id}", ["page"] = page }).ToArray());

        string? Query(int number) => $"pages={pages}&size={size}" + (end == null ? "" : $"&end={end}") + (style == "cursor" ? $"&cursor=c{number}" : $"&page={number}");
        var path = $"/{provider}/resources/pages/{style}";
        // A loop links the last page back to page 2 (page 1 was asked for as given, so its own link may differ).
        var nextQuery = page < pages ? Query(page + 1) : end == "loop" ? Query(Math.Min(2, pages)) : end == "foreign" ? Query(1) : null;
        var nextPath = nextQuery == null ? null : $"{path}?{nextQuery}";
        // Links point back at the listener that was asked (http or one of the TLS listeners).
        var origin = end == "foreign" && page >= pages ? $"http://localhost:{RootUri.Port}" : $"{context.Request.Scheme}://{context.Request.Host}";
        var absoluteNext = nextPath == null ? null : origin + nextPath;
        switch (style)
        {
            case "link":
                if (absoluteNext != null)
                {
                    context.Response.Headers.Append("Link", $"<{origin}{path}?{Query(1)}>; rel=\"first\", <{absoluteNext}>; rel=\"next\"");
                }

                return Json(context, 200, items);
            case "jsonapi":
                // Relative to the page, as JSON:API allows: only the foreign link must name its origin.
                var relative = end == "foreign" && page >= pages ? absoluteNext : nextPath;
                return Json(context, 200, new JsonObject { ["data"] = items, ["links"] = new JsonObject { ["self"] = $"{path}?{Query(page)}", ["next"] = relative } });
            case "odata":
                return Json(context, 200, new JsonObject { ["value"] = items, ["@odata.nextLink"] = absoluteNext });
            case "cursor":
                return Json(context, 200, new JsonObject { ["data"] = items, ["meta"] = new JsonObject { ["next_cursor"] = nextQuery == null ? null : $"c{(page < pages ? page + 1 : Math.Min(2, pages))}" } });
            default:
                return Json(context, 404, new JsonObject { ["error"] = $"no paging style '{style}': link, jsonapi, odata or cursor" });
        }
    }

    // Delivery is given by name ("Drip") by scripts.
    private static readonly JsonSerializerOptions FaultJson = new(JsonSerializerDefaults.Web) { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };

    private sealed record FaultRequest(string? Provider, string? Endpoint, int? StatusCode, string? RetryAfter, int? DelayMilliseconds, bool? DelayOnly,
        string? Body, string? ContentType, int? Times, FaultDelivery? Delivery, long? Size);
}
