// SPDX-License-Identifier: GPL-2.0
/*
 * The object hash: shared kernel objects (an mm, a files table, an open
 * file, ...) are saved once and referred to by a tag (objref) after
 * that. At checkpoint objects are found by pointer, at restart by tag.
 * Every object in the hash holds a reference taken by its type's
 * ref_grab, dropped when the context goes away.
 *
 * At restart, tasks restoring themselves in parallel look objects up
 * and add them under the hash's spinlock; a checkpoint is one task.
 */
#define pr_fmt(fmt) "checkpoint: " fmt

#include "internal.h"
#include <linux/hashtable.h>
#include <linux/slab.h>

#define CKPT_OBJHASH_BITS	8

struct ckpt_obj {
	int objref;
	int tree_refs;		/* references found inside the tree */
	bool collected;		/* found by the collect pass */
	bool visited;		/* saved by the real pass */
	bool exempt;		/* no leak check (a standard stream) */
	bool outside;		/* also used from outside the tree */
	bool restored;		/* made by ops->restore */
	int maker;		/* restart in parallel: the task that made it */
	void *ptr;
	const struct ckpt_obj_ops *ops;
	struct hlist_node by_ptr;
	struct hlist_node by_ref;
	struct list_head list;
};

struct ckpt_objhash {
	DECLARE_HASHTABLE(by_ptr, CKPT_OBJHASH_BITS);
	DECLARE_HASHTABLE(by_ref, CKPT_OBJHASH_BITS);
	struct list_head list;
	int next_objref;
	spinlock_t lock;	/* restart: the tables and the list */
};

static const struct ckpt_obj_ops *ckpt_obj_ops_table[CKPT_OBJ_MAX];

/**
 * ckpt_obj_register - register the operations of an object type
 * @ops: operations; ops->obj_type selects the slot
 *
 * Called at boot by each subsystem that saves shared objects.
 *
 * Return: 0, or -EINVAL/-EBUSY for a bad or already taken type.
 */
int ckpt_obj_register(const struct ckpt_obj_ops *ops)
{
	if (ops->obj_type <= CKPT_OBJ_NONE || ops->obj_type >= CKPT_OBJ_MAX)
		return -EINVAL;
	if (ckpt_obj_ops_table[ops->obj_type])
		return -EBUSY;
	ckpt_obj_ops_table[ops->obj_type] = ops;
	return 0;
}

static const struct ckpt_obj_ops *ckpt_obj_ops_of(enum ckpt_obj_type type)
{
	if (type <= CKPT_OBJ_NONE || type >= CKPT_OBJ_MAX)
		return NULL;
	return ckpt_obj_ops_table[type];
}

/* Take or drop a reference of the kind @restored says the object is */
static void ckpt_obj_grab(const struct ckpt_obj_ops *ops, void *ptr,
			  bool restored)
{
	if (restored && ops->restored_grab)
		ops->restored_grab(ptr);
	else
		ops->ref_grab(ptr);
}

static void ckpt_obj_drop(const struct ckpt_obj_ops *ops, void *ptr,
			  bool restored)
{
	if (restored && ops->restored_drop)
		ops->restored_drop(ptr);
	else
		ops->ref_drop(ptr);
}

/**
 * ckpt_objhash_alloc - give a context its empty object hash
 * @ctx: checkpoint context
 *
 * Return: 0 or -ENOMEM.
 */
int ckpt_objhash_alloc(struct ckpt_ctx *ctx)
{
	struct ckpt_objhash *oh = kzalloc(sizeof(*oh), GFP_KERNEL);

	if (!oh)
		return -ENOMEM;
	hash_init(oh->by_ptr);
	hash_init(oh->by_ref);
	INIT_LIST_HEAD(&oh->list);
	spin_lock_init(&oh->lock);
	oh->next_objref = 1;
	ctx->objhash = oh;
	return 0;
}

/**
 * ckpt_objhash_free - drop every object's reference and free the hash
 * @ctx: checkpoint context
 */
void ckpt_objhash_free(struct ckpt_ctx *ctx)
{
	struct ckpt_objhash *oh = ctx->objhash;
	struct ckpt_obj *obj, *tmp;

	if (!oh)
		return;
	/* drop in reverse order of creation: files before their table */
	list_for_each_entry_safe_reverse(obj, tmp, &oh->list, list) {
		ckpt_obj_drop(obj->ops, obj->ptr, obj->restored);
		kfree(obj);
	}
	kfree(oh);
	ctx->objhash = NULL;
}

static struct ckpt_obj *ckpt_obj_find_ptr(struct ckpt_objhash *oh, void *ptr)
{
	struct ckpt_obj *obj;

	hash_for_each_possible(oh->by_ptr, obj, by_ptr, (unsigned long)ptr)
		if (obj->ptr == ptr)
			return obj;
	return NULL;
}

static struct ckpt_obj *ckpt_obj_find_ref(struct ckpt_objhash *oh, int objref)
{
	struct ckpt_obj *obj;

	hash_for_each_possible(oh->by_ref, obj, by_ref, objref)
		if (obj->objref == objref)
			return obj;
	return NULL;
}

static void ckpt_obj_insert(struct ckpt_objhash *oh, struct ckpt_obj *obj,
			    void *ptr, int objref,
			    const struct ckpt_obj_ops *ops, bool restored)
{
	obj->ptr = ptr;
	obj->objref = objref;
	obj->tree_refs = 0;
	obj->collected = false;
	obj->visited = false;
	obj->exempt = false;
	obj->outside = false;
	obj->restored = restored;
	obj->maker = -1;
	obj->ops = ops;
	ckpt_obj_grab(ops, ptr, restored);
	hash_add(oh->by_ptr, &obj->by_ptr, (unsigned long)ptr);
	hash_add(oh->by_ref, &obj->by_ref, objref);
	list_add_tail(&obj->list, &oh->list);
}

static struct ckpt_obj *ckpt_obj_add(struct ckpt_objhash *oh, void *ptr,
				     int objref,
				     const struct ckpt_obj_ops *ops,
				     bool restored)
{
	struct ckpt_obj *obj = kmalloc(sizeof(*obj), GFP_KERNEL_ACCOUNT);

	if (obj)
		ckpt_obj_insert(oh, obj, ptr, objref, ops, restored);
	return obj;
}

/* Restart: look an objref up with the hash locked */
static struct ckpt_obj *ckpt_obj_lookup(struct ckpt_objhash *oh, int objref)
{
	struct ckpt_obj *obj;

	spin_lock(&oh->lock);
	obj = ckpt_obj_find_ref(oh, objref);
	spin_unlock(&oh->lock);
	return obj;
}

/*
 * Restoring in parallel, a task sees only the objects of the tasks before
 * it (and its own), as it would in image order: an OBJREF to an object a
 * later task makes is as bad as one to no object, whoever runs first.
 */
struct ckpt_obj_wait {
	struct ckpt_objhash *oh;
	int objref;
	int self;		/* the looking task's index, or -1 */
	struct ckpt_obj *obj;
};

static bool ckpt_obj_arrived(void *arg)
{
	struct ckpt_obj_wait *w = arg;

	w->obj = ckpt_obj_lookup(w->oh, w->objref);
	if (w->obj && w->self >= 0 && w->obj->maker > w->self)
		w->obj = NULL;
	return w->obj;
}

/**
 * ckpt_obj_checkpoint - save a shared object once, refer to it after
 * @ctx: checkpoint context
 * @ptr: the kernel object
 * @type: its object type
 * @ref: the task (and fd) through which it is reached, for its checkpoint
 *	of this first time
 *
 * The first time @ptr is seen it gets a new objref and its type's
 * checkpoint operation writes its records; later calls write an OBJREF
 * record naming that objref.
 *
 * Return: the objref (> 0) or a negative errno.
 */
int ckpt_obj_checkpoint(struct ckpt_ctx *ctx, void *ptr,
			enum ckpt_obj_type type, const struct ckpt_obj_ref *ref)
{
	const struct ckpt_obj_ops *ops = ckpt_obj_ops_of(type);
	struct ckpt_objhash *oh = ctx->objhash;
	struct ckpt_hdr_objref rec;
	struct ckpt_obj *obj;
	int ret;

	if (!ops)
		return ckpt_err(ctx, -EINVAL, "no operations for object type %d",
				type);
	obj = ckpt_obj_find_ptr(oh, ptr);
	if (obj && !obj->visited && obj->collected) {
		/* first time in the real pass: save it now */
		obj->visited = true;
		ret = ops->checkpoint(ctx, ptr, obj->objref, ref);
		return ret ? ret : obj->objref;
	}
	if (obj) {
		if (obj->ops != ops)
			return ckpt_err(ctx, -EINVAL, "object %d is a %s, not a %s",
					obj->objref, obj->ops->name, ops->name);
		rec.h.type = CKPT_HDR_OBJREF;
		rec.h.len = sizeof(rec);
		rec.objref = obj->objref;
		rec.objtype = type;
		ret = ckpt_write_obj(ctx, &rec.h);
		return ret ? ret : obj->objref;
	}

	if (ctx->kflags & CKPT_CTX_LEAKCHECK)
		return ckpt_err(ctx, -EBUSY,
				"a %s appeared in the tree during checkpoint",
				ops->name);
	obj = ckpt_obj_add(oh, ptr, oh->next_objref++, ops, false);
	if (!obj)
		return -ENOMEM;
	obj->visited = true;
	ret = ops->checkpoint(ctx, ptr, obj->objref, ref);
	return ret ? ret : obj->objref;
}

/**
 * ckpt_obj_collect - count a reference from inside the tree
 * @ctx: checkpoint context
 * @ptr: the object
 * @type: its type
 * @exempt: a reference that excuses the object from the leak check
 *
 * The collect pass, before anything is written, meets every reference
 * the tree's tasks hold to shared objects. The first meeting adds the
 * object to the hash and lets its type collect what it refers to.
 *
 * Return: 0 or a negative errno.
 */
int ckpt_obj_collect(struct ckpt_ctx *ctx, void *ptr, enum ckpt_obj_type type,
		     bool exempt)
{
	const struct ckpt_obj_ops *ops = ckpt_obj_ops_of(type);
	struct ckpt_obj *obj;

	if (!ops)
		return -EINVAL;
	obj = ckpt_obj_find_ptr(ctx->objhash, ptr);
	if (obj) {
		obj->tree_refs++;
		obj->exempt |= exempt;
		return 0;
	}
	obj = ckpt_obj_add(ctx->objhash, ptr, ctx->objhash->next_objref++, ops,
			   false);
	if (!obj)
		return -ENOMEM;
	obj->collected = true;
	obj->tree_refs = 1;
	obj->exempt = exempt;
	return ops->collect ? ops->collect(ctx, ptr) : 0;
}

/**
 * ckpt_obj_count_ref - count one more in-tree reference to a known object
 * @ctx: checkpoint context
 * @ptr: the object; nothing happens if it is not in the hash
 */
void ckpt_obj_count_ref(struct ckpt_ctx *ctx, void *ptr)
{
	struct ckpt_obj *obj = ckpt_obj_find_ptr(ctx->objhash, ptr);

	if (obj)
		obj->tree_refs++;
}

/**
 * ckpt_obj_tree_refs - references to an object found inside the tree
 * @ctx: checkpoint context
 * @ptr: the object
 *
 * Return: what the collect pass counted, 0 for an object it did not meet.
 */
int ckpt_obj_tree_refs(struct ckpt_ctx *ctx, void *ptr)
{
	struct ckpt_obj *obj = ckpt_obj_find_ptr(ctx->objhash, ptr);

	return obj && obj->collected ? obj->tree_refs : 0;
}

/**
 * ckpt_obj_objref - the objref of an object the collect pass met
 * @ctx: checkpoint context
 * @ptr: the object
 *
 * Return: its objref, or 0 for an object the hash does not have.
 */
int ckpt_obj_objref(struct ckpt_ctx *ctx, void *ptr)
{
	struct ckpt_obj *obj = ckpt_obj_find_ptr(ctx->objhash, ptr);

	return obj ? obj->objref : 0;
}

/**
 * ckpt_obj_outside - is an object also used from outside the tree?
 * @ctx: checkpoint context
 * @ptr: the object
 *
 * As ckpt_obj_leak_check() found it, after the collect pass.
 *
 * Return: true when it is, false when it is not or is not known.
 */
bool ckpt_obj_outside(struct ckpt_ctx *ctx, void *ptr)
{
	struct ckpt_obj *obj = ckpt_obj_find_ptr(ctx->objhash, ptr);

	return obj && obj->outside;
}

/**
 * ckpt_obj_leak_check - are the collected objects private to the tree?
 * @ctx: checkpoint context
 * @report: fail on the first object also used from outside
 *
 * An object whose kernel reference count exceeds the references found
 * in the tree (plus the hash's own) is also used from outside: a
 * container checkpoint of it would not be self-contained. Each object
 * remembers what was found, for ckpt_obj_outside().
 *
 * Return: 0, or -EBUSY naming the first leaked object when @report.
 */
int ckpt_obj_leak_check(struct ckpt_ctx *ctx, bool report)
{
	struct ckpt_obj *obj, *leak = NULL;
	int users, leak_users = 0;

	list_for_each_entry(obj, &ctx->objhash->list, list) {
		if (!obj->collected || !obj->ops->ref_users)
			continue;
		users = obj->ops->ref_users(obj->ptr) - 1;
		obj->outside = users != obj->tree_refs;
		if (obj->outside && !obj->exempt && !leak) {
			leak = obj;
			leak_users = users;
		}
	}
	if (!report || !leak)
		return 0;
	if (leak->ops->obj_type == CKPT_OBJ_FILE)
		return ckpt_err(ctx, -EBUSY,
				"leak: open file %pD is shared with a task outside the tree (%d references, %d inside)",
				(struct file *)leak->ptr, leak_users,
				leak->tree_refs);
	return ckpt_err(ctx, -EBUSY,
			"leak: a %s is shared with a task outside the tree (%d references, %d inside)",
			leak->ops->name, leak_users, leak->tree_refs);
}

/**
 * ckpt_obj_check_visited - did the real pass save every collected object?
 * @ctx: checkpoint context
 *
 * Objects of types with a reference count are checked. The others are
 * reached through those (a pipe through its open files), and may be left
 * unsaved with them (a stream handed over at restart).
 *
 * Return: 0, or -EBUSY if an object went away during the checkpoint.
 */
int ckpt_obj_check_visited(struct ckpt_ctx *ctx)
{
	struct ckpt_obj *obj;

	list_for_each_entry(obj, &ctx->objhash->list, list)
		if (obj->collected && !obj->visited && obj->ops->ref_users)
			return ckpt_err(ctx, -EBUSY,
					"a %s of the tree vanished during checkpoint",
					obj->ops->name);
	return 0;
}

/**
 * ckpt_obj_fetch - look up a restored object by objref
 * @ctx: checkpoint context
 * @objref: tag from the image
 * @type: the type the caller expects
 *
 * A task restoring itself in parallel with others waits for a tag that
 * a task before it may still make (ckpt_par_wait_obj()).
 *
 * Return: the object (the hash keeps its reference) or an ERR_PTR with
 * -EINVAL for an unknown tag or a tag of another type, -EINTR when the
 * restart ended meanwhile.
 */
void *ckpt_obj_fetch(struct ckpt_ctx *ctx, int objref, enum ckpt_obj_type type)
{
	const struct ckpt_obj_ops *ops = ckpt_obj_ops_of(type);
	struct ckpt_obj_wait w = {
		.oh = ctx->objhash,
		.objref = objref,
		.self = ckpt_par_self(ctx),
	};
	struct ckpt_obj *obj = NULL;
	int ret;

	/* restoring in parallel: a task before the caller may still make it */
	if (!ckpt_obj_arrived(&w)) {
		ret = ckpt_par_wait_obj(ctx, ckpt_obj_arrived, &w);
		if (ret == -EINTR)
			return ERR_PTR(ret);
	}
	obj = w.obj;
	if (!obj || obj->ops != ops)
		return ERR_PTR(ckpt_err(ctx, -EINVAL,
					"objref %d before offset %lld is not a known %s",
					objref, ckpt_pos(ctx),
					ops ? ops->name : "object"));
	return obj->ptr;
}

/**
 * ckpt_obj_restore - read a shared object slot of the image
 * @ctx: checkpoint context
 * @type: the object type expected here
 *
 * The slot is either an OBJREF record naming an object restored earlier,
 * or the first record of a new object, which the type's restore operation
 * reads and rebuilds. New objects enter the hash under their objref.
 *
 * Return: the object (the hash holds a reference) or an ERR_PTR.
 */
void *ckpt_obj_restore(struct ckpt_ctx *ctx, enum ckpt_obj_type type)
{
	const struct ckpt_obj_ops *ops = ckpt_obj_ops_of(type);
	struct ckpt_objhash *oh = ctx->objhash;
	struct ckpt_hdr_objref ref;
	struct ckpt_obj *obj;
	int objref = 0, maker;
	bool used;
	void *ptr;
	int ret;

	if (!ops)
		return ERR_PTR(-EINVAL);
	ret = ckpt_read_hdr(ctx, &ref.h);
	if (ret)
		return ERR_PTR(ret);

	if (ref.h.type == CKPT_HDR_OBJREF) {
		if (ref.h.len != sizeof(ref))
			return ERR_PTR(ckpt_err(ctx, -EINVAL,
						"bad OBJREF record length %u",
						ref.h.len));
		ret = ckpt_read_body(ctx, &ref.h, sizeof(ref));
		if (ret)
			return ERR_PTR(ret);
		if (ref.objtype != type)
			return ERR_PTR(ckpt_err(ctx, -EINVAL,
						"OBJREF %d of type %u where a %s is expected",
						ref.objref, ref.objtype,
						ops->name));
		return ckpt_obj_fetch(ctx, ref.objref, type);
	}
	if (ref.h.type != ops->hdr_type)
		return ERR_PTR(ckpt_err(ctx, -EINVAL,
					"expected a %s object, found record %s (type %u) before offset %lld",
					ops->name, ckpt_hdr_name(ref.h.type),
					ref.h.type, ckpt_pos(ctx)));

	ptr = ops->restore(ctx, &ref.h, &objref);
	if (IS_ERR(ptr))
		return ptr;
	obj = kmalloc(sizeof(*obj), GFP_KERNEL_ACCOUNT);
	maker = ckpt_par_self(ctx);
	spin_lock(&oh->lock);
	used = objref <= 0 || ckpt_obj_find_ref(oh, objref);
	if (obj && !used) {
		ckpt_obj_insert(oh, obj, ptr, objref, ops, true);
		obj->maker = maker;
	}
	spin_unlock(&oh->lock);
	/* the hash took its own reference; drop restore's */
	ckpt_obj_drop(ops, ptr, true);
	if (used) {
		kfree(obj);
		return ERR_PTR(ckpt_err(ctx, -EINVAL,
					"%s objref %d is invalid or used twice",
					ops->name, objref));
	}
	if (!obj)
		return ERR_PTR(-ENOMEM);
	ckpt_par_obj_added(ctx);
	return ptr;
}
