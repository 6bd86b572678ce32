using TokenAuth.Http;
using Xunit;

namespace TokenAuth.Tests;

public sealed class UriQueryTests
{
    private static KeyValuePair<string, string?>[] Fields(params (string Name, string? Value)[] fields) =>
        fields.Select(field => new KeyValuePair<string, string?>(field.Name, field.Value)).ToArray();

    [Theory]
    [InlineData("resources/echo", "resources/echo?a=1&b=2")]
    [InlineData("resources/echo?x=0", "resources/echo?x=0&a=1&b=2")]
    [InlineData("resources/echo?", "resources/echo?a=1&b=2")]
    [InlineData("resources/echo?x=0&", "resources/echo?x=0&a=1&b=2")]
    [InlineData("resources/echo#part", "resources/echo?a=1&b=2#part")]
    [InlineData("resources/echo?x=0#part?not=query", "resources/echo?x=0&a=1&b=2#part?not=query")]
    public void Fields_follow_any_query_there_and_precede_the_fragment(string uri, string expected) =>
        Assert.Equal(expected, UriQuery.Append(uri, Fields(("a", "1"), ("b", "2"))));

    [Fact]
    public void Names_and_values_are_percent_encoded_and_a_null_value_is_empty() =>
        Assert.Equal("https://h/p?a%20b=c%26d%3De%2Bf%23&empty=&%C3%A9=%2F",
            UriQuery.Append("https://h/p", Fields(("a b", "c&d=e+f#"), ("empty", null), ("é", "/"))));

    [Fact]
    public void No_fields_leave_the_uri_as_it_was() =>
        Assert.Equal("resources/echo", UriQuery.Append("resources/echo", Fields()));

    [Fact]
    public void An_absolute_uri_keeps_its_query_and_gains_the_fields() =>
        Assert.Equal(new Uri("https://token.actions.example/id?run=1&audience=api%3A%2F%2Fx"),
            UriQuery.Append(new Uri("https://token.actions.example/id?run=1"), Fields(("audience", "api://x"))));
}
