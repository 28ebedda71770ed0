import type { Member, User } from '../types.js';

// GitLab's user entities (lib/api/entities/user_basic.rb, user.rb, user_public.rb, member.rb).
// Note authors and award users are UserBasic, which has no `bot` field: a client that needs to know
// whether an author is a bot has to ask GET /users/:id, as against real GitLab.

export function userBasic(user: User, baseUrl: string) {
  return {
    id: user.id,
    username: user.username,
    name: user.name,
    state: user.state,
    locked: false,
    avatar_url: null,
    web_url: `${baseUrl}/${user.username}`,
  };
}

/** GET /users/:id */
export function userEntity(user: User, baseUrl: string) {
  return {
    ...userBasic(user, baseUrl),
    created_at: user.createdAt.toISOString(),
    bio: '',
    location: '',
    public_email: null,
    website_url: '',
    organization: '',
    job_title: '',
    pronouns: null,
    bot: user.bot,
    work_information: null,
    followers: 0,
    following: 0,
    is_followed: false,
    local_time: null,
  };
}

/** GET /user */
export function currentUserEntity(user: User, baseUrl: string) {
  return {
    ...userEntity(user, baseUrl),
    email: user.email,
    commit_email: user.email,
    last_sign_in_at: null,
    confirmed_at: user.createdAt.toISOString(),
    last_activity_on: null,
    theme_id: 1,
    color_scheme_id: 1,
    projects_limit: 100000,
    current_sign_in_at: null,
    identities: [],
    can_create_group: !user.bot,
    can_create_project: !user.bot,
    two_factor_enabled: false,
    external: false,
    private_profile: false,
    ...(user.admin ? { is_admin: true } : {}),
  };
}

export function memberEntity(user: User, member: Member, baseUrl: string) {
  return {
    ...userBasic(user, baseUrl),
    access_level: member.accessLevel,
    created_at: member.createdAt.toISOString(),
    created_by: null,
    expires_at: null,
    membership_state: 'active',
  };
}
