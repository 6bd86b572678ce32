using TokenAuth.Requests;
using Xunit;

namespace TokenAuth.Tests;

/// <summary>The one rule that says how an answer's body is returned, read whole or back from -OutFile alike.</summary>
public sealed class ResponseKindTests
{
    [Theory]
    [InlineData("application/json", ResponseKind.Json)]
    [InlineData("application/problem+json", ResponseKind.Json)]
    [InlineData(null, ResponseKind.Json)]
    [InlineData("", ResponseKind.Json)]
    [InlineData("text/plain", ResponseKind.Text)]
    [InlineData("TEXT/CSV", ResponseKind.Text)]
    [InlineData("application/xml", ResponseKind.Text)]
    [InlineData("application/atom+xml", ResponseKind.Text)]
    [InlineData("application/x-www-form-urlencoded", ResponseKind.Text)]
    [InlineData("application/javascript", ResponseKind.Text)]
    [InlineData("application/octet-stream", ResponseKind.Bytes)]
    [InlineData("image/png", ResponseKind.Bytes)]
    public void A_media_type_decides_json_text_or_bytes(string? mediaType, ResponseKind expected) =>
        Assert.Equal(expected, ResponseContent.KindFor(ResponseMode.Auto, mediaType));

    [Theory]
    [InlineData("application/json")]
    [InlineData("image/png")]
    [InlineData(null)]
    public void The_form_asked_for_wins_over_the_media_type(string? mediaType)
    {
        Assert.Equal(ResponseKind.Text, ResponseContent.KindFor(ResponseMode.Text, mediaType));
        Assert.Equal(ResponseKind.Bytes, ResponseContent.KindFor(ResponseMode.Bytes, mediaType));
    }
}
