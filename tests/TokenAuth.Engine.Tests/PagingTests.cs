using TokenAuth.Emulator;
using TokenAuth.Errors;
using TokenAuth.Http;
using TokenAuth.Json;
using TokenAuth.Logging;
using TokenAuth.Providers;
using TokenAuth.Requests;
using Xunit;

namespace TokenAuth.Tests;

/// <summary>Following pages over real HTTP: the three styles providers use, the origin check on every link, loops, limits.</summary>
public sealed class PagingTests : IAsyncLifetime
{
    private Harness _harness = null!;

    public async Task InitializeAsync() => _harness = await Harness.StartAsync();

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    private async Task<List<ApiResponse>> Pages(string provider, string uri, PagingOptions paging, ApiRequest? request = null, int? stopAfter = null)
    {
        var pages = new List<ApiResponse>();
        await foreach (var page in _harness.Engine.SendPagesAsync(_harness.Request(provider), request ?? new ApiRequest("GET", uri), paging, _harness.Log))
        {
            pages.Add(page);
            if (pages.Count == stopAfter)
            {
                break;
            }
        }

        return pages;
    }

    private static IEnumerable<long> Ids(IEnumerable<ApiResponse> pages) =>
        pages.SelectMany(page => (List<object?>)page.Content!).Select(item => (long)((Dictionary<string, object?>)item!)["id"]!);

    [Theory]
    [InlineData("Akiba", "resources/pages/link?pages=4&size=3", true, null, null, null)]
    [InlineData("Akiba", "resources/pages/jsonapi?pages=4&size=3", false, "links.next", null, "data")]
    [InlineData("Akiba", "resources/pages/odata?pages=4&size=3", false, "@odata.nextLink", null, "value")]
    [InlineData("Akiba", "resources/pages/cursor?pages=4&size=3", false, "meta.next_cursor", "?pages=4&size=3&cursor={value}", "data")]
    [InlineData("Ankorstore", "resources/pages/jsonapi?pages=4&size=3", true, null, null, null)]
    public async Task Every_page_is_followed_in_each_style_and_its_items_returned(string provider, string uri, bool follow, string? nextLinkPath, string? template, string? itemsPath)
    {
        var pages = await Pages(provider, uri, new PagingOptions { Follow = follow, NextLinkPath = nextLinkPath, NextLinkTemplate = template, ItemsPath = itemsPath });

        Assert.Equal(4, pages.Count);
        Assert.Equal(Enumerable.Range(1, 12).Select(id => (long)id), Ids(pages));
        Assert.Equal(4, _harness.Count(provider, "pages"));
    }

    [Fact]
    public async Task A_next_link_on_another_origin_is_not_followed_and_the_pages_before_it_stand()
    {
        var pages = new List<ApiResponse>();
        var error = await Expect.Throws<UnsafeRequestException>(async () =>
        {
            await foreach (var page in _harness.Engine.SendPagesAsync(_harness.Request("Ankorstore"), new ApiRequest("GET", "resources/pages/jsonapi?pages=2&size=2&end=foreign"),
                new PagingOptions { Follow = true }))
            {
                pages.Add(page);
            }
        });

        Assert.Equal(2, pages.Count);
        Assert.Contains("http://localhost:", error.Message);
        Assert.Contains("not on Ankorstore's origin", error.Message);
        Assert.Equal(2, _harness.Count("ankorstore", "pages"));
    }

    [Fact]
    public async Task With_SkipHttpErrorCheck_a_foreign_next_link_is_a_warning()
    {
        var pages = await Pages("Ankorstore", "", new PagingOptions { Follow = true },
            new ApiRequest("GET", "resources/pages/jsonapi?pages=2&size=2&end=foreign") { SkipHttpErrorCheck = true });

        Assert.Equal(2, pages.Count);
        Assert.Contains(_harness.Log.Lines, line => line.Level == LogLevel.Warning && line.Message.Contains("not on Ankorstore's origin"));
        Assert.Equal(2, _harness.Count("ankorstore", "pages"));
    }

    [Fact]
    public async Task A_link_back_to_a_page_already_read_ends_the_paging_with_a_warning()
    {
        var pages = await Pages("Akiba", "resources/pages/odata?pages=3&size=2&end=loop", new PagingOptions { NextLinkPath = "@odata.nextLink", ItemsPath = "value" });

        Assert.Equal(Enumerable.Range(1, 6).Select(id => (long)id), Ids(pages));
        Assert.Contains(_harness.Log.Lines, line => line.Level == LogLevel.Warning && line.Message.Contains("links back to a page already read"));
    }

    [Fact]
    public async Task MaxLinks_bounds_the_links_followed()
    {
        var pages = await Pages("Akiba", "resources/pages/link?pages=10&size=1", new PagingOptions { Follow = true, MaxLinks = 2 });

        Assert.Equal(3, pages.Count);
        Assert.Equal(3, _harness.Count("akiba", "pages"));
    }

    [Fact]
    public async Task A_caller_that_stops_early_stops_the_paging()
    {
        var pages = await Pages("Akiba", "resources/pages/link?pages=100&size=2", new PagingOptions { Follow = true }, stopAfter: 2);

        Assert.Equal(2, pages.Count);
        Assert.Equal(2, _harness.Count("akiba", "pages"));
    }

    [Fact]
    public async Task Each_page_is_retried_renewed_and_timed_on_its_own()
    {
        // Page 2 is throttled once; before page 3 the provider revokes the token (a 401, then renewal);
        // each page waits 0.8 s against a 2 s limit, which the three pages' waits together pass. The 1.2 s left to
        // each page holds page 3's renewal and second try even on a loaded machine (with 0.4 s, CI once ran out).
        var akiba = _harness.Request("Akiba");
        _harness.Emulator.InjectFault("akiba", "pages", new EmulatorFault { DelayOnly = true, DelayMilliseconds = 800 });
        var pages = new List<ApiResponse>();
        await foreach (var page in _harness.Engine.SendPagesAsync(akiba, new ApiRequest("GET", "resources/pages/link?pages=3&size=1") { Timeout = TimeSpan.FromSeconds(2) },
            new PagingOptions { Follow = true }, _harness.Log))
        {
            pages.Add(page);
            if (pages.Count == 1)
            {
                _harness.Emulator.InjectFault("akiba", "pages", new EmulatorFault { StatusCode = 503, RetryAfter = "0" });
                _harness.Emulator.InjectFault("akiba", "pages", new EmulatorFault { DelayOnly = true, DelayMilliseconds = 800, Times = 2 });
            }
            else if (pages.Count == 2)
            {
                _harness.Emulator.RevokeAllTokens("akiba");
            }
        }

        Assert.Equal([1L, 2L, 3L], Ids(pages));
        Assert.Equal(5, _harness.Count("akiba", "pages"));
        Assert.Equal(2, _harness.Count("akiba", "token"));
        Assert.True(_harness.Log.Contains("HTTP 503 from"));
        Assert.True(_harness.Log.Contains("HTTP 401 from"));
    }

    [Fact]
    public async Task A_missing_items_path_is_named_and_pages_cannot_go_to_one_file()
    {
        var missing = await Expect.Throws<MalformedResponseException>(() =>
            Pages("Akiba", "resources/pages/jsonapi?pages=2&size=2", new PagingOptions { Follow = true, ItemsPath = "records" }));
        var toFile = await Expect.Throws<InvalidRequestException>(() =>
            Pages("Akiba", "", new PagingOptions { Follow = true }, new ApiRequest("GET", "resources/pages/link") { OutFile = Path.Combine(Path.GetTempPath(), $"tokenauth-never-written-{Guid.NewGuid():N}.json") }));

        Assert.Equal("records", missing.Field);
        Assert.Contains("-OutFile", toFile.Message);
    }

    [Theory]
    [InlineData("<https://api.example/items?page=2>; rel=\"next\"", "https://api.example/items?page=2")]
    [InlineData("<https://api.example/items?page=1>; rel=\"first\", <https://api.example/items?page=3>; rel=\"next\"", "https://api.example/items?page=3")]
    [InlineData("</items?page=4>; rel=next; title=\"more, please\"", "/items?page=4")]
    [InlineData("<https://api.example/items?page=9>; rel=\"last next\"", "https://api.example/items?page=9")]
    [InlineData("<https://api.example/items?page=1>; rel=\"prev\"", null)]
    [InlineData("<https://api.example/items?page=1>; relnext=\"next\"", null)]
    public void Link_headers_are_read_as_RFC_8288_writes_them(string header, string? next)
    {
        Assert.Equal(next, LinkHeader.Next([header]));
    }

    [Fact]
    public void A_paging_section_must_say_something()
    {
        var error = Expect.Throws<ProviderConfigurationException>(() => ProviderDefinitionLoader.Parse(
            """{ "name": "P", "credential": { "fields": ["ClientId", "ClientSecret"] }, "token": { "path": "/t" }, "paging": {} }"""));

        Assert.Contains("$.paging", error.Message);
    }

    [Theory]
    [InlineData("errors[0].detail", "first")]
    [InlineData("a.b[1][0].c", "deep")]
    [InlineData("@odata.nextLink", "next")]
    [InlineData("meta.@odata.count", "7")]
    [InlineData("errors[2].detail", null)]
    [InlineData("a.b[x]", null)]
    public void One_path_dialect_reads_token_answers_and_pages_alike(string path, string? expected)
    {
        const string json = """{ "errors": [{ "detail": "first" }], "a": { "b": [[], [{ "c": "deep" }]] }, "@odata.nextLink": "next", "meta": { "@odata.count": 7 } }""";
        using var document = System.Text.Json.JsonDocument.Parse(json);

        var fromAnswer = JsonFieldPath.GetScalarText(document.RootElement, path);
        var fromPage = JsonFieldPath.Find(JsonValues.ToObject(document.RootElement), path);

        Assert.Equal(expected, fromAnswer);
        Assert.Equal(expected, fromPage == null ? null : Convert.ToString(fromPage, System.Globalization.CultureInfo.InvariantCulture));
    }
}
