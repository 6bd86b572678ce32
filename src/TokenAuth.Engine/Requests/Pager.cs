using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using TokenAuth.Errors;
using TokenAuth.Http;
using TokenAuth.Json;
using TokenAuth.Logging;
using TokenAuth.Providers;
using TokenAuth.Requests;
using TokenAuth.Tokens;

namespace TokenAuth.Requests
{
    /// <summary>How to follow a list's pages and what of each page to return. Unset paths fall back to the provider's.</summary>
    public sealed class PagingOptions
    {
        /// <summary>Follow next links: a Link header with rel="next" (RFC 8288), or the body's <see cref="NextLinkPath"/>.</summary>
        public bool Follow { get; set; }

        /// <summary>The most next links followed (so at most one page more than this), as Invoke-RestMethod's -MaximumFollowRelLink.</summary>
        public int MaxLinks { get; set; } = int.MaxValue;

        /// <summary>Where the next link sits in a page ("links.next", "@odata.nextLink", "meta.next_cursor").</summary>
        public string? NextLinkPath { get; set; }

        /// <summary>
        /// Makes the value at <see cref="NextLinkPath"/> (a cursor, say) into a link: "?cursor={value}". The value is
        /// escaped; the result resolves against the page's URI like any relative link.
        /// </summary>
        public string? NextLinkTemplate { get; set; }

        /// <summary>Where a page's items sit ("data", "value"): they are returned instead of the page.</summary>
        public string? ItemsPath { get; set; }

        /// <summary>Whether next links are followed: asked for, or implied by a next-link path.</summary>
        public bool FollowsLinks => Follow || NextLinkPath != null;

        /// <summary>Whether the request goes through paging at all: it follows links, or returns a page's items.</summary>
        public bool Applies => FollowsLinks || ItemsPath != null;
    }

    /// <summary>
    /// Follows a list's pages: each page is a request of its own through the <see cref="ApiClient"/>, and every next
    /// link must stay on the provider's origin.
    /// </summary>
    internal sealed class Pager
    {
        private readonly ApiClient _client;

        public Pager(ApiClient client)
        {
            _client = client;
        }

        /// <summary>
        /// Sends the request and, while a page links to the next, requests that one: each page is yielded as it
        /// arrives (with only its items when an items path applies), so a caller that stops early stops the paging.
        /// Every page is a request of its own (token, retries, 401 renewal, its own timeout); every next link must be
        /// on the provider's origin, or it is not followed: an error, or with SkipHttpErrorCheck a warning. A link
        /// already followed ends the paging with a warning.
        /// </summary>
        public async IAsyncEnumerable<ApiResponse> SendPagesAsync(TokenRequest request, ApiRequest apiRequest, PagingOptions paging, ITokenAuthLog? log,
            [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            var target = request.Target;
            var defaults = target.Definition.Paging;
            var nextLinkPath = paging.NextLinkPath ?? (paging.Follow ? defaults?.NextLinkPath : null);
            var follow = paging.FollowsLinks;
            var itemsPath = paging.ItemsPath ?? (follow ? defaults?.ItemsPath : null);
            // The provider's own items path gives way to a page that is a list already (a Link-header style endpoint).
            var pageMayBeTheList = paging.ItemsPath == null;
            if (follow && apiRequest.OutFile != null)
            {
                throw new InvalidRequestException(target.ProviderName, "Pages cannot be followed into one -OutFile: request each page on its own, or return them as objects.");
            }

            var seen = new HashSet<string>(StringComparer.Ordinal);
            var page = apiRequest;
            for (var followed = 0; ; followed++)
            {
                var response = await _client.SendAsync(request, page, log, cancellationToken).ConfigureAwait(false);
                seen.Add(response.AnsweredUri.AbsoluteUri);
                yield return itemsPath == null || (pageMayBeTheList && response.Content is List<object?>)
                    ? response
                    : response.WithItems(PageItems(target.ProviderName, response, itemsPath));

                var linkSource = "";
                var link = follow && response.IsSuccess ? NextLink(response, nextLinkPath, paging.NextLinkTemplate, out linkSource) : null;
                if (link == null)
                {
                    yield break;
                }

                if (!Uri.TryCreate(response.AnsweredUri, link, out var next))
                {
                    throw new MalformedResponseException(target.ProviderName, ProviderOperation.Request, response.DisplayEndpoint, linkSource, "is not a valid URI, so the next page cannot be requested");
                }

                if (!target.IsSameOrigin(next))
                {
                    var refusal = $"The page from {response.DisplayEndpoint} links its next page to {_client.Shown(request, next)}, which is not on "
                        + $"{target.ProviderName}'s origin ({target.BaseUri.GetLeftPart(UriPartial.Authority)}): it was not followed, so the token stays with the provider.";
                    if (!apiRequest.SkipHttpErrorCheck)
                    {
                        throw new UnsafeRequestException(target.ProviderName, refusal);
                    }

                    log.Warning(refusal);
                    yield break;
                }

                if (seen.Contains(next.AbsoluteUri))
                {
                    log.Warning($"The page from {response.DisplayEndpoint} links back to a page already read ({_client.Shown(request, next)}); paging stopped there.");
                    yield break;
                }

                if (followed >= paging.MaxLinks)
                {
                    log.Verbose($"Paging stopped after {followed} next link(s), the most asked for; more pages follow {response.DisplayEndpoint}.");
                    yield break;
                }

                log.Verbose($"Following the next page: {_client.Shown(request, next)}.");
                page = apiRequest.ForNextPage(next);
            }
        }

        /// <summary>
        /// The next link: from the body's path when one applies and holds a value, else from a Link rel="next" header;
        /// <paramref name="source"/> names where it came from, for an error about it.
        /// </summary>
        private static string? NextLink(ApiResponse page, string? nextLinkPath, string? template, out string source)
        {
            if (nextLinkPath != null && page.Kind == ResponseKind.Json && JsonFieldPath.Find(page.Content, nextLinkPath) is { } value)
            {
                var text = value as string ?? Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture);
                if (!string.IsNullOrEmpty(text))
                {
                    source = nextLinkPath;
                    return template == null ? text : template.Replace("{value}", Uri.EscapeDataString(text!));
                }
            }

            source = "Link header";
            return page.Headers.TryGetValue("Link", out var links) ? LinkHeader.Next(links) : null;
        }

        private static List<object?> PageItems(string provider, ApiResponse page, string itemsPath)
        {
            if (page.Kind == ResponseKind.Empty)
            {
                return new List<object?>();
            }

            return JsonFieldPath.Find(page.Kind == ResponseKind.Json ? page.Content : null, itemsPath) switch
            {
                List<object?> items => items,
                null => throw new MalformedResponseException(provider, ProviderOperation.Request, page.DisplayEndpoint, itemsPath, "is missing from the page, so it has no items to return"),
                _ => throw new MalformedResponseException(provider, ProviderOperation.Request, page.DisplayEndpoint, itemsPath, "is not a list of items"),
            };
        }
    }
}
