/**
 * Known referrer sources: a compact list of our own (no maintained,
 * permissively licensed npm package classifies referrers into channels;
 * Snowplow's referer-parser data is the closest and is unmaintained on npm).
 * Grouped like GA4's default channel groups and Plausible's source
 * categories. A host entry matches that host and its subdomains; `name.*`
 * matches the label `name` under any public suffix of one or two labels
 * (google.com, google.co.uk, google.com.au).
 */
export type SourceKind = 'search' | 'social' | 'video' | 'email' | 'shopping' | 'other';

export interface KnownSource {
  name: string;
  kind: SourceKind;
  hosts: readonly string[];
  /** Lower-case utm_source / ref spellings that mean this source, besides the lower-cased name. */
  aliases?: readonly string[];
}

export const knownSources: readonly KnownSource[] = [
  // Email before search: webmail hosts sit under search engines' domains.
  { name: 'Gmail', kind: 'email', hosts: ['mail.google.com', 'com.google.android.gm'], aliases: ['gmail'] },
  { name: 'Outlook', kind: 'email', hosts: ['outlook.live.com', 'outlook.office.com', 'outlook.office365.com', 'mail.live.com', 'outlook.com'], aliases: ['outlook', 'hotmail'] },
  { name: 'Yahoo! Mail', kind: 'email', hosts: ['mail.yahoo.com', 'mail.yahoo.co.jp'], aliases: ['yahoo mail'] },
  { name: 'Proton Mail', kind: 'email', hosts: ['mail.proton.me', 'mail.protonmail.com'], aliases: ['protonmail'] },
  { name: 'Fastmail', kind: 'email', hosts: ['app.fastmail.com', 'fastmail.com'] },
  { name: 'Mail.ru', kind: 'email', hosts: ['e.mail.ru'] },

  { name: 'Google', kind: 'search', hosts: ['google.*', 'com.google.android.googlequicksearchbox', 'googleapis.com'], aliases: ['adwords', 'google ads', 'googleads'] },
  { name: 'Bing', kind: 'search', hosts: ['bing.com', 'cn.bing.com'], aliases: ['microsoft', 'msn'] },
  { name: 'DuckDuckGo', kind: 'search', hosts: ['duckduckgo.com', 'ddg.gg'], aliases: ['ddg'] },
  { name: 'Yahoo!', kind: 'search', hosts: ['search.yahoo.com', 'yahoo.*', 'search.yahoo.co.jp'], aliases: ['yahoo'] },
  { name: 'Yandex', kind: 'search', hosts: ['yandex.*', 'ya.ru'] },
  { name: 'Baidu', kind: 'search', hosts: ['baidu.com', 'm.baidu.com'] },
  { name: 'Ecosia', kind: 'search', hosts: ['ecosia.org'] },
  { name: 'Brave', kind: 'search', hosts: ['search.brave.com'], aliases: ['brave search'] },
  { name: 'Startpage', kind: 'search', hosts: ['startpage.com'] },
  { name: 'Qwant', kind: 'search', hosts: ['qwant.com'] },
  { name: 'Kagi', kind: 'search', hosts: ['kagi.com'] },
  { name: 'Naver', kind: 'search', hosts: ['search.naver.com', 'm.search.naver.com'] },
  { name: 'Seznam', kind: 'search', hosts: ['search.seznam.cz', 'seznam.cz'] },
  { name: 'Ask', kind: 'search', hosts: ['ask.com'] },
  { name: 'AOL', kind: 'search', hosts: ['search.aol.com'] },
  { name: 'Sogou', kind: 'search', hosts: ['sogou.com'] },
  { name: 'Mojeek', kind: 'search', hosts: ['mojeek.com'] },

  { name: 'Facebook', kind: 'social', hosts: ['facebook.com', 'fb.com', 'fb.me', 'm.facebook.com', 'l.facebook.com', 'lm.facebook.com', 'messenger.com'], aliases: ['fb', 'meta'] },
  { name: 'Instagram', kind: 'social', hosts: ['instagram.com', 'l.instagram.com'], aliases: ['ig'] },
  { name: 'Twitter', kind: 'social', hosts: ['twitter.com', 't.co', 'x.com', 'mobile.twitter.com'], aliases: ['x', 'x.com', 'twitter.com', 'tw'] },
  { name: 'LinkedIn', kind: 'social', hosts: ['linkedin.com', 'lnkd.in', 'com.linkedin.android'], aliases: ['li'] },
  { name: 'Reddit', kind: 'social', hosts: ['reddit.com', 'old.reddit.com', 'out.reddit.com', 'redd.it'] },
  { name: 'Pinterest', kind: 'social', hosts: ['pinterest.*', 'pin.it'] },
  { name: 'TikTok', kind: 'social', hosts: ['tiktok.com'] },
  { name: 'Hacker News', kind: 'social', hosts: ['news.ycombinator.com'], aliases: ['hn', 'hackernews', 'ycombinator'] },
  { name: 'Threads', kind: 'social', hosts: ['threads.net', 'threads.com'] },
  { name: 'Bluesky', kind: 'social', hosts: ['bsky.app', 'bsky.social'] },
  { name: 'Mastodon', kind: 'social', hosts: ['mastodon.social', 'mastodon.online', 'mstdn.social', 'fosstodon.org', 'hachyderm.io'] },
  { name: 'VKontakte', kind: 'social', hosts: ['vk.com', 'm.vk.com'], aliases: ['vk'] },
  { name: 'Quora', kind: 'social', hosts: ['quora.com'] },
  { name: 'Tumblr', kind: 'social', hosts: ['tumblr.com', 't.umblr.com'] },
  { name: 'Discord', kind: 'social', hosts: ['discord.com', 'discordapp.com'] },
  { name: 'Telegram', kind: 'social', hosts: ['t.me', 'web.telegram.org', 'org.telegram.messenger'] },
  { name: 'WhatsApp', kind: 'social', hosts: ['whatsapp.com', 'web.whatsapp.com', 'wa.me'] },
  { name: 'Snapchat', kind: 'social', hosts: ['snapchat.com'] },
  { name: 'Slack', kind: 'social', hosts: ['slack.com', 'app.slack.com', 'com.slack'] },
  { name: 'Lobsters', kind: 'social', hosts: ['lobste.rs'] },
  { name: 'Product Hunt', kind: 'social', hosts: ['producthunt.com'] },
  { name: 'Medium', kind: 'social', hosts: ['medium.com'] },
  { name: 'Stack Overflow', kind: 'social', hosts: ['stackoverflow.com', 'stackexchange.com'] },

  { name: 'YouTube', kind: 'video', hosts: ['youtube.com', 'm.youtube.com', 'youtu.be', 'com.google.android.youtube'], aliases: ['yt'] },
  { name: 'Vimeo', kind: 'video', hosts: ['vimeo.com'] },
  { name: 'Twitch', kind: 'video', hosts: ['twitch.tv'] },
  { name: 'Dailymotion', kind: 'video', hosts: ['dailymotion.com'] },

  { name: 'Amazon', kind: 'shopping', hosts: ['amazon.*'] },
  { name: 'eBay', kind: 'shopping', hosts: ['ebay.*'] },
  { name: 'Etsy', kind: 'shopping', hosts: ['etsy.com'] },
  { name: 'Shopify', kind: 'shopping', hosts: ['shopify.com'] },

  { name: 'GitHub', kind: 'other', hosts: ['github.com'] },
  { name: 'GitLab', kind: 'other', hosts: ['gitlab.com'] },
  { name: 'Wikipedia', kind: 'other', hosts: ['wikipedia.org'] },
  { name: 'ChatGPT', kind: 'other', hosts: ['chatgpt.com', 'chat.openai.com'] },
  { name: 'Perplexity', kind: 'other', hosts: ['perplexity.ai'] },
];
